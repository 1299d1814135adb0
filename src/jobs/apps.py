from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = "Built-in jobs"

    def ready(self) -> None:
        from jobs.examples import LANE
        from jobs.lane import lane_assign_number, lane_position
        from jobs.md5 import Md5ParamsSerializer
        from jobs.sequential import KIND as SEQUENTIAL
        from jobs.sequential import SequentialParamsSerializer, sequential_cancelled
        from jobs.serializers import LaneEntrySerializer
        from jobs.sleep import SleepParamsSerializer
        from tasks_api import registry

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
                name=SEQUENTIAL,
                actor_name="sequential_task",
                params_serializer=SequentialParamsSerializer,
                description=(
                    "Wait `timeout` seconds (0 to 3600), then store {num}. Tasks of this kind run one at "
                    "a time in submission order over all users; see GET /api/tasks/queue/."
                ),
                on_queue=lambda task: lane_assign_number(task=task),
                on_cancel=sequential_cancelled,
                position=lambda task: lane_position(task=task),
            )
        )
        registry.register_queue(
            registry.Queue(kind=SEQUENTIAL, serializer=LaneEntrySerializer, examples=LANE)
        )
