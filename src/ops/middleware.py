"""A Dramatiq middleware that records each run of a periodic actor (GET /api/ops/schedules/).

django_dramatiq builds the middleware before the app registry is ready, so the services
(and the models they use) are imported in the hooks.

It runs in the worker processes, listed after DbConnectionsMiddleware: its before-hook then
runs on a fresh connection and its after-hook before that connection is tidied up.
"""

from __future__ import annotations

import dramatiq
from dramatiq.broker import MessageProxy
from dramatiq.middleware import Middleware


def _is_periodic(broker: dramatiq.Broker, message: MessageProxy) -> bool:
    actor = broker.actors.get(message.actor_name)
    return actor is not None and "periodic" in actor.options


class PeriodicRunsMiddleware(Middleware):
    def before_process_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if _is_periodic(broker, message):
            from ops.services import periodic_job_started

            periodic_job_started(name=message.actor_name)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: MessageProxy,
        *,
        result: object = None,
        exception: BaseException | None = None,
    ) -> None:
        if _is_periodic(broker, message):
            from ops.services import periodic_job_finished

            periodic_job_finished(name=message.actor_name, error=exception)

    def after_skip_message(self, broker: dramatiq.Broker, message: MessageProxy) -> None:
        if _is_periodic(broker, message):
            from ops.services import periodic_job_skipped

            periodic_job_skipped(name=message.actor_name)
