"""The raw Dramatiq baseline: a no-op actor on a plain RabbitMQ broker, no Django, no database.

Run as `dramatiq bench._noop_broker`. The actor only records when it ran (one Redis RPUSH),
so the bench can compute latency from enqueue to completion.
"""

from __future__ import annotations

import os
import time

import dramatiq
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker

QUEUE = "bench-noop"
RESULTS_KEY = "bench:noop:done"

broker = RabbitmqBroker(url=os.environ["RABBITMQ_URL"], confirm_delivery=True)
dramatiq.set_broker(broker)
results = redis.Redis.from_url(os.environ["REDIS_URL"])


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def noop(sent_at: float) -> None:
    results.rpush(RESULTS_KEY, f"{sent_at} {time.time()}")
