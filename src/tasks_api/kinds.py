"""The kinds this app runs itself."""

from tasks_api import registry
from tasks_api.lane import lane_assign_number, lane_position
from tasks_api.md5 import Md5ParamsSerializer
from tasks_api.sequential import SequentialParamsSerializer, sequential_cancelled
from tasks_api.sleep import SleepParamsSerializer

registry.register(
    registry.TaskKind(
        name="sleep",
        actor_name="sleep_task",
        params_serializer=SleepParamsSerializer,
        description="Wait `seconds` (0 to 3600), reporting progress; result {slept}.",
    )
)
registry.register(
    registry.TaskKind(
        name="md5",
        actor_name="md5_task",
        params_serializer=Md5ParamsSerializer,
        description=(
            "Stream the body at `url` (http or https) and hash it; result {md5, size, url}. "
            "With `email`, the result is mailed there and `result.emailed` is true."
        ),
    )
)
registry.register(
    registry.TaskKind(
        name="sequential",
        actor_name="sequential_task",
        params_serializer=SequentialParamsSerializer,
        description=(
            "Wait `timeout` seconds (0 to 3600), then store {num}. Tasks of this kind run one at a "
            "time in submission order over all users; see GET /api/tasks/queue/."
        ),
        on_queue=lambda task: lane_assign_number(task=task),
        on_cancel=sequential_cancelled,
        position=lambda task: lane_position(task=task),
    )
)
