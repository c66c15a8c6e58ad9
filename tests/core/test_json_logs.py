"""REFUGE_LOG_FORMAT=json: one object per line, fixed fields, no request body, no error text."""

from __future__ import annotations

import json
import logging

from django.test import RequestFactory

from refuge.core.logging import JsonFormatter, ScrubFilter


def _line(record: logging.LogRecord) -> dict[str, object]:
    ScrubFilter().filter(record)
    parsed: dict[str, object] = json.loads(JsonFormatter().format(record))
    return parsed


def test_a_request_error_is_logged_without_its_body_or_the_errors_text() -> None:
    request = RequestFactory().post("/r/north/request/", {"story": "Юрий Иванов +7 928 555-01-17"})
    try:
        raise ValueError("Юрий Иванов +7 928 555-01-17")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error: %s",
            ("/r/north/request/",),
            sys.exc_info(),
        )
    record.request = request
    line = _line(record)
    assert set(line) == {"time", "level", "logger", "message", "process", "error", "trace"}
    assert line["level"] == "ERROR" and line["error"] == "ValueError"
    assert str(line["time"]).endswith("Z")
    text = json.dumps(line, ensure_ascii=False)
    assert "Иванов" not in text and "555" not in text
    assert "[path=/r/north/request/]" in str(line["message"])
