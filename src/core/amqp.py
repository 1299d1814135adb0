"""RabbitMQ connection URLs with the project's timeouts in them."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


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
