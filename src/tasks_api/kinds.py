"""The kinds this app runs itself."""

from tasks_api import registry
from tasks_api.sleep import SleepParamsSerializer

registry.register(
    registry.TaskKind(
        name="sleep",
        actor_name="sleep_task",
        params_serializer=SleepParamsSerializer,
        description="Wait `seconds` (0 to 3600), reporting progress; result {slept}.",
    )
)
