"""How often one token may call the API: a per-process budget per minute (docs/limits.md)."""

from __future__ import annotations

import threading
import time
import uuid

from django.conf import settings


class TokenBudget:
    """At most `REFUGE_API_REQUESTS_PER_MINUTE` calls per token per minute in this process.

    Counts calls per token id, never addresses; the table holds this minute's tokens only.
    """

    def __init__(self) -> None:
        self.window = 0
        self.counts: dict[uuid.UUID, int] = {}
        self.lock = threading.Lock()

    def allow(self, token_id: uuid.UUID) -> bool:
        limit: int = settings.REFUGE_API_REQUESTS_PER_MINUTE
        with self.lock:
            window = int(time.monotonic() // 60)
            if window != self.window:
                self.window, self.counts = window, {}
            self.counts[token_id] = self.counts.get(token_id, 0) + 1
            return self.counts[token_id] <= limit

    def seconds_left(self) -> int:
        """Until the next minute's budget, for Retry-After."""
        return max(1, 60 - int(time.monotonic() % 60))

    def reset(self) -> None:
        with self.lock:
            self.counts = {}


calls = TokenBudget()
