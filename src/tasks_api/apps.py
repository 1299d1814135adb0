from django.apps import AppConfig


class TasksApiConfig(AppConfig):
    name = "tasks_api"
    verbose_name = "Tasks"

    def ready(self) -> None:
        from core.accounts import account_cleanup_register
        from tasks_api.account_cleanup import tasks_cancel_for_owner

        account_cleanup_register("tasks", lambda user: tasks_cancel_for_owner(owner=user))
