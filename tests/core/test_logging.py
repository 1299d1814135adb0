"""Log lines: one JSON object each, the web server's included."""

from __future__ import annotations

import json
import logging

import pytest

from core.logging import JsonFormatter


@pytest.mark.parametrize("name", ["uvicorn.error", "uvicorn.access"])
def test_the_web_servers_lines_are_json_like_the_rest(name):
    logger = logging.getLogger(name)
    # Django's console handler (pytest adds its capture handlers beside it).
    [handler] = [h for h in logger.handlers if type(h) is logging.StreamHandler]
    assert not logger.propagate and isinstance(handler.formatter, JsonFormatter)
    record = logger.makeRecord(
        name,
        logging.INFO,
        __file__,
        1,
        "Started server process [%d]",
        (42,),
        None,
        extra={"color_message": "Started server process [\x1b[36m%d\x1b[0m]"},
    )
    line = json.loads(handler.format(record))
    assert (line["logger"], line["message"]) == (name, "Started server process [42]")
    assert "color_message" not in line


@pytest.mark.parametrize(("flags", "logged"), [((), True), (("--no-access-log",), False)])
def test_the_web_servers_access_log_follows_its_flag(start_web, flags, logged):
    # The settings take uvicorn's loggers over; they must not turn an access log back on.
    start_web({"LOG_FORMAT": "json"}, args=flags)  # it has answered /healthz once started
    [log] = start_web.logs
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line["logger"] == "uvicorn.error" for line in lines)  # the server's own lines stay
    assert any(line["logger"] == "uvicorn.access" for line in lines) is logged
