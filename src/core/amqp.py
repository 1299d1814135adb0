"""RabbitMQ connections with the project's timeouts in them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pika
from django.conf import settings


def amqp_url_with_defaults(url: str, parameters: dict[str, float]) -> str:
    """`url` with `parameters` added to its query string (pika reads them from there).

    A parameter the URL already names keeps the URL's value: a deployment can tune one
    connection by its URL alone.
    """
    if not url:
        return url
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query = {**{name: str(value) for name, value in parameters.items()}, **query}
    return urlunsplit(parts._replace(query=urlencode(query)))


def connection_parameters() -> pika.URLParameters:
    """RABBITMQ_URL with the broker's bounds (RABBITMQ_CONNECTION_PARAMS), for pika's own
    connections (the event publisher, the image-events listener, the ops queue counts).

    The heartbeat matters most: pika has no timeout on a publisher confirm or a consumer's
    wait, and without it a broker that stops answering holds either for the server's
    heartbeat (60 s, checked every 65 s).
    """
    return pika.URLParameters(
        amqp_url_with_defaults(settings.RABBITMQ_URL, settings.RABBITMQ_CONNECTION_PARAMS)
    )
