import pkgutil
from importlib import import_module

from django.apps import AppConfig


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = "Actors"

    def ready(self) -> None:
        # Importing every module of this package registers its actors with the broker, in
        # the web process (to send by name) as in workers (to run them).
        for module in pkgutil.iter_modules(self.module.__path__):
            if module.name not in {"apps", "base"}:
                import_module(f"{self.name}.{module.name}")
