"""The time safety decides by: one function, so tests move it (a controllable clock).

Every decision about a check-in (when it is due, whether it was missed) reads `now()`,
never `timezone.now()` directly; tests replace it (`tests/safety/clock.py`) to be on
time, late within grace, or hours past a miss without waiting.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    """The current time (UTC, aware)."""
    return timezone.now()
