from django.apps import AppConfig


class TasksApiConfig(AppConfig):
    name = "tasks_api"
    verbose_name = "Tasks"

    def ready(self) -> None:
        from tasks_api import kinds  # noqa: F401  (registers the built-in kinds)
