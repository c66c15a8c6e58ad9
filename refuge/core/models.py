"""Counts shared by every app process on the database (refuge/core/counters.py)."""

from __future__ import annotations

from django.db import models


class MinuteCount(models.Model):
    """How often one thing was counted in one minute: the brakes' shared tally.

    One row per (scope, key), reused minute after minute (`minute_tag` says which minute
    `count` belongs to), so a scope holds at most one row per key it can have, however
    long a flood lasts. Holds no personal data and no time: a scope's name, a key that is
    an id or a cell number (a receipt brake cell is a keyed hash, meaningless without the
    server key), a count, and the minute as a keyed hash of it (refuge/core/counters.py):
    a seized database cannot tell when the last request or receipt look-up was counted,
    which a plain minute would say to the minute (docs/threat-model.md keeps requesters'
    times to the hour). On PostgreSQL the table is UNLOGGED (migration core.0002): a
    brake count needs no durability, so counting costs no WAL flush, and a crash or a
    failover starts every brake from zero, as a new minute does.
    """

    scope = models.CharField(max_length=20)
    key = models.CharField(max_length=64)
    # Which minute: a keyed hash of the minute since the Unix epoch (each server's clock, kept in sync by NTP).
    minute_tag = models.BigIntegerField()
    count = models.IntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="core_minutecount_one_row_per_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"
