"""Log filters: keep request bodies, query strings and secrets out of logs."""

from __future__ import annotations

import logging


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
