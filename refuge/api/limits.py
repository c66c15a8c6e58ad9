"""How often one token may call the API: a budget per minute shared by every app process (docs/limits.md)."""

from __future__ import annotations

import time
import uuid

from django.conf import settings

from refuge.core import counters

SCOPE = "api-calls"


class TokenBudget:
    """At most `REFUGE_API_REQUESTS_PER_MINUTE` calls per token per minute, across every app process.

    Counts calls per token id, never addresses, in the database the processes share
    (refuge/core/counters.py): one row per token, however many processes answer it.
    """

    def allow(self, token_id: uuid.UUID) -> bool:
        limit: int = settings.REFUGE_API_REQUESTS_PER_MINUTE
        return counters.add(SCOPE, {str(token_id): 1})[str(token_id)] <= limit

    def seconds_left(self) -> int:
        """Until the next minute's budget, for Retry-After."""
        return max(1, 60 - int(time.time() % 60))

    def reset(self) -> None:
        counters.clear(SCOPE)


calls = TokenBudget()
