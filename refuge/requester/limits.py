"""A budget of submissions shared by every app process, so a flood slows down instead of filling the inbox."""

from __future__ import annotations

from django.conf import settings

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
        limit: int = getattr(settings, self.setting)
        counted = counters.add(self.scope, {str(key): 1})
        return counted[str(key)] <= limit

    def reset(self) -> None:
        counters.clear(self.scope)


# Request forms sent per organisation per minute (REFUGE_SUBMISSIONS_PER_MINUTE).
submissions = MinuteBudget("REFUGE_SUBMISSIONS_PER_MINUTE", "submissions")
