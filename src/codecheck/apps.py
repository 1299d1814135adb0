from django.apps import AppConfig


class CodecheckConfig(AppConfig):
    name = "codecheck"
    verbose_name = "Code checks"

    def ready(self) -> None:
        from codecheck.services import CODE_CHECK_KIND, CodeCheckParamsSerializer, codefiles_erase_owner
        from core.accounts import account_cleanup_register
        from tasks_api import registry

        # Internal: the sweep and "check now" create it; clients follow it in /api/tasks/.
        registry.register(
            registry.TaskKind(
                name=CODE_CHECK_KIND,
                actor_name="code_check_task",
                params_serializer=CodeCheckParamsSerializer,
                description="Run flake8 on one version of a code file and mail the report (internal).",
                public=False,
            )
        )
        account_cleanup_register("code files", lambda user: codefiles_erase_owner(owner=user))
