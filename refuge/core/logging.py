"""Log filters: keep request bodies, query strings and secrets out of logs."""

from __future__ import annotations

import datetime
import json
import logging
import traceback


class ScrubFilter(logging.Filter):
    """Drop the request object and exception locals that Django attaches to records.

    A log file is part of what a seizure yields (docs/threat-model.md); request
    objects carry POST bodies and cookies, so they never reach a formatter.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            request = record.request
            path = getattr(request, "path", "?")
            record.request = None
            record.msg = f"{record.msg} [path={path}]"
            record.args = record.args
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line (REFUGE_LOG_FORMAT=json), for a log collector.

    The fields are fixed: time, level, logger, message, and for an error its type and
    where it was raised (file, line, function per frame). Not the error's text: an
    exception message can quote what a user typed, and a log is part of what a seizure
    yields (docs/threat-model.md).
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["trace"] = [
                f"{frame.filename}:{frame.lineno}:{frame.name}" for frame in traceback.extract_tb(record.exc_info[2])
            ]
        return json.dumps(entry, ensure_ascii=False)
