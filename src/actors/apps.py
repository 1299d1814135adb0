from importlib import import_module

from django.apps import AppConfig

# Every module that declares actors; importing them registers the actors with the broker,
# in the web process (to send by name) as in workers (to run them).
ACTOR_MODULES = ["actors.tasks"]


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = "Actors"

    def ready(self) -> None:
        for module in ACTOR_MODULES:
            import_module(module)
