"""A budget of submissions shared by every app process, so a flood slows down instead of filling the inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from refuge.core import counters


class MinuteBudget:
    """At most `settings.<name>` events per key per minute, across every app process.

    Counts events, never who caused them: Refuge keeps no addresses. The count is kept in
    the database the processes share (refuge/core/counters.py), one row per key, so the
    limit is the installation's whatever the number of processes behind the proxy.
    """

    def __init__(self, setting: str, scope: str) -> None:
        self.setting = setting
        self.scope = scope

    def allow(self, key: object) -> bool:
        """Count one event of `key` and say whether it is within the budget."""
        limit: int = getattr(settings, self.setting)
        counted = counters.add(self.scope, {str(key): 1})
        return counted[str(key)] <= limit

    def allow_before(self, key: object) -> bool:
        """Before the work of an event that `allow_within` then counts in the transaction storing it.

        On SQLite only a read: the count is added inside the event's own write transaction
        (`allow_within`), so the event takes one turn of the write lock (refuge/core/write_queue.py),
        not two. A refused event costs one SELECT and writes nothing. Elsewhere (PostgreSQL) the
        count is added here, in its own short statement: counted inside the event's transaction,
        its row lock would be held to that transaction's commit and put every event of the key in
        single file.
        """
        if connection.vendor != "sqlite":
            return self.allow(key)
        limit: int = getattr(settings, self.setting)
        return counters.highest(self.scope, [str(key)]) < limit

    def allow_within(self, key: object) -> bool:
        """Inside the transaction storing an event already let through by `allow_before`.

        On SQLite the count, joined to the transaction: it is kept only if the event is stored,
        and the check against the limit is exact (the write lock is held). Elsewhere already
        counted by `allow_before`.
        """
        if connection.vendor != "sqlite":
            return True
        return self.allow(key)

    def reset(self) -> None:
        counters.clear(self.scope)


# Request forms sent per organisation per minute (REFUGE_SUBMISSIONS_PER_MINUTE).
submissions = MinuteBudget("REFUGE_SUBMISSIONS_PER_MINUTE", "submissions")
