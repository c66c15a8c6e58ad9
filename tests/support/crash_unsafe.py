"""The SQLite negative control: a server that acknowledges a write before it commits it.

Test code only, selected for the served process by DJANGO_SETTINGS_MODULE
(tests/support/crash_unsafe_settings.py); nothing in refuge/ can turn it on.

Why this and not a PRAGMA: a committed SQLite transaction survives kill -9 whatever
`synchronous` says, because the operating system's page cache outlives the process
(`synchronous` matters for power loss and kernel crashes, which kill -9 does not
simulate). So no SQLite setting makes kill -9 lose an acknowledged write; what can lose
one is a server that answers before the commit, which is what PostgreSQL's
`synchronous_commit = off` does (it answers before the commit reaches the WAL on disk).
This middleware does that to Refuge: every POST runs in one outer transaction; when the
view wrote something, the response goes out first and the commit follows
COMMIT_DELAY_SECONDS later, after the client has read the whole answer. A kill in
between loses a write the client was told was stored, and the crash suite must say so.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

UNSAFE_SETTINGS_MODULE = "tests.support.crash_unsafe_settings"
# Long enough that a kill at a random moment usually lands in it: writers queue behind the
# open transaction (SQLite has one writer), so most of the time an acknowledged write is
# waiting to commit.
COMMIT_DELAY_SECONDS = 0.5


class AcknowledgeBeforeCommitMiddleware:
    """Answer a writing POST before committing it (see the module docstring). Never in production."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if connection.vendor != "sqlite":
            raise RuntimeError("the acknowledge-before-commit control is for SQLite only")
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return self.get_response(request)
        outer = transaction.atomic()
        outer.__enter__()
        changes = connection.connection.total_changes
        try:
            response = self.get_response(request)
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
        if connection.connection.total_changes == changes:
            outer.__exit__(None, None, None)
            return response

        def commit_after_the_answer() -> None:
            # Runs when the server closes the response: after the last byte was sent.
            time.sleep(COMMIT_DELAY_SECONDS)
            outer.__exit__(None, None, None)

        # Django runs these when the WSGI server closes the response, before request_finished
        # (which would close the connection, rolling the transaction back).
        response._resource_closers.insert(0, commit_after_the_answer)  # type: ignore[attr-defined]
        return response
