"""The raw Dramatiq baselines: no-op actors on a plain RabbitMQ broker, no Django.

Run as `dramatiq bench._noop_broker`. `noop` only records when it ran (one Redis RPUSH),
so the bench can compute throughput and latency from enqueue to completion. `noop_row`
also writes one row to PostgreSQL first, as the least a task's completion must do, and
then tells its waiting sender through its own Redis list.
"""

from __future__ import annotations

import os
import threading
import time

import dramatiq
import psycopg2
import redis
from dramatiq.brokers.rabbitmq import RabbitmqBroker

QUEUE = "bench-noop"
RESULTS_KEY = "bench:noop:done"
ROWS_TABLE = "bench_noop_row"

broker = RabbitmqBroker(url=os.environ["RABBITMQ_URL"], confirm_delivery=True)
dramatiq.set_broker(broker)
results = redis.Redis.from_url(os.environ["REDIS_URL"])
_local = threading.local()


def _connection():
    """One autocommit connection per worker thread, kept: the limit pays no connect."""
    if getattr(_local, "connection", None) is None:
        _local.connection = psycopg2.connect(os.environ["DATABASE_URL"])
        _local.connection.autocommit = True
    return _local.connection


def create_rows_table() -> None:
    with psycopg2.connect(os.environ["DATABASE_URL"]) as connection, connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {ROWS_TABLE} (id bigserial PRIMARY KEY, done_at float8)")
    connection.close()


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def noop(sent_at: float) -> None:
    results.rpush(RESULTS_KEY, f"{sent_at} {time.time()}")


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def noop_row(reply_key: str) -> None:
    with _connection().cursor() as cursor:
        cursor.execute(f"INSERT INTO {ROWS_TABLE} (done_at) VALUES (%s)", [time.time()])
    results.rpush(reply_key, "done")
