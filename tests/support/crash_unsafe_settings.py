"""Production settings plus the crash suite's SQLite negative control (tests/support/crash_unsafe.py).

Only the crash suite's negative control serves with these (DJANGO_SETTINGS_MODULE for
the served process): the server acknowledges writes before committing them.
"""

from refuge.settings import *  # noqa: F403

MIDDLEWARE = ["tests.support.crash_unsafe.AcknowledgeBeforeCommitMiddleware", *MIDDLEWARE]  # noqa: F405
