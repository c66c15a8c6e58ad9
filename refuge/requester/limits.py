"""A per-process budget of submissions, so a flood slows down instead of filling the inbox."""

from __future__ import annotations

import threading
import time

from django.conf import settings


class MinuteBudget:
    """At most `settings.<name>` events per key per minute in this process.

    Counts events, never who caused them: Refuge keeps no addresses. The table
    holds only this minute's keys, so it cannot grow without bound.
    """

    def __init__(self, setting: str) -> None:
        self.setting = setting
        self.window = 0
        self.counts: dict[object, int] = {}
        self.lock = threading.Lock()

    def allow(self, key: object) -> bool:
        limit: int = getattr(settings, self.setting)
        with self.lock:
            window = int(time.monotonic() // 60)
            if window != self.window:
                self.window, self.counts = window, {}
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key] <= limit

    def reset(self) -> None:
        with self.lock:
            self.counts = {}


# Request forms sent per organisation per minute (REFUGE_SUBMISSIONS_PER_MINUTE).
submissions = MinuteBudget("REFUGE_SUBMISSIONS_PER_MINUTE")
