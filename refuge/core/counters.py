"""Per-minute counts shared by every app process on the database: the brakes' tally.

The portal's flood brake, its receipt brake and the API's rate limit count events per
minute. Counted in one process's memory, each app process had a budget of its own, so
three processes behind nginx allowed three times the documented limit (and a guesser
whose look-ups nginx spread over them got three times as many). They are counted here,
in the database every process already shares (no extra service, docs/operations.md).

A count is one statement and its own commit (`add`): an INSERT … ON CONFLICT DO UPDATE
on the row of (scope, key), which starts the count again when the row is of an earlier
minute. The minute is stored as a keyed hash (`minute_tag`, under the server key kept
outside the database): the rows say how many, never when. Rows are never deleted and never more than one per key, so a scope's table is
as large as its number of keys, whatever is sent (`MinuteCount`). What makes it cheap:
on PostgreSQL the table is UNLOGGED, so the commit waits for no WAL flush; on SQLite the
statement runs with `synchronous=NORMAL` (WAL mode: no fsync at its commit, the database
stays consistent; the next ordinary commit's fsync carries it), in the portal's write
queue (refuge/core/write_queue.py). A count lost to a crash only gives a brake back a
little of its minute. Measured in BENCHMARKS.md ("Shared brakes").

Inside a transaction (`transaction.atomic`), the statement joins it instead: it then
commits, or not, with the caller's writes. The flood brake counts that way on SQLite, in
the transaction that stores the request (refuge/requester/limits.py, `allow_within`).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

from refuge.core.models import MinuteCount
from refuge.core.write_queue import queued_write
from refuge.crypto import derive_subkey

# Fixed names; only placeholders ("%s" marks, as many as there are values) are added to these.
_UPSERT = (
    'INSERT INTO "core_minutecount" ("scope", "key", "minute_tag", "count") VALUES {rows} '
    'ON CONFLICT ("scope", "key") DO UPDATE SET '
    '"count" = CASE WHEN "core_minutecount"."minute_tag" = excluded."minute_tag" '
    'THEN "core_minutecount"."count" + excluded."count" ELSE excluded."count" END, '
    '"minute_tag" = excluded."minute_tag" '
    'RETURNING "key", "count"'
)
_HIGHEST = 'SELECT MAX("count") FROM "core_minutecount" WHERE "scope" = %s AND "key" IN ({marks}) AND "minute_tag" = %s'


def current_minute() -> int:
    """This minute, counted from the Unix epoch: the same number on every server (NTP)."""
    return int(time.time() // 60)


@functools.lru_cache(maxsize=8)
def _tag(minute: int, server_key: bytes) -> int:
    """What is stored for a minute: a keyed hash of it, so the table dates nothing (models.MinuteCount)."""
    return int.from_bytes(derive_subkey(server_key, f"minute-count:{minute}")[:8], "big", signed=True)


def minute_tag(minute: int) -> int:
    """The stored tag of `minute`: the same in every process that holds the server key."""
    return _tag(minute, settings.REFUGE_SERVER_KEY)


@contextmanager
def _cheap_commit() -> Iterator[None]:
    """Around one counting statement outside a transaction: no fsync for it on SQLite."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with queued_write():
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            # Every other write keeps synchronous=FULL (refuge/settings.py): no acknowledged write is lost.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA synchronous=FULL")


def add(scope: str, counts: Mapping[str, int], *, minute: int | None = None) -> dict[str, int]:
    """Add `counts` to this minute's count of each key of `scope`; return each key's new count."""
    if not counts:
        return {}
    minute = current_minute() if minute is None else minute
    # Keys in one order everywhere: two statements lock their rows in the same order (no deadlock).
    keys = sorted(counts)
    params: list[str | int] = []
    tag = minute_tag(minute)
    for key in keys:
        params += [scope, key, tag, counts[key]]
    sql = _UPSERT.format(rows=", ".join(["(%s, %s, %s, %s)"] * len(keys)))
    with _cheap_commit(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def highest(scope: str, keys: Sequence[str], *, minute: int | None = None) -> int:
    """The highest of this minute's counts of `keys` in `scope` (0 if none was counted)."""
    if not keys:
        return 0
    minute = current_minute() if minute is None else minute
    sql = _HIGHEST.format(marks=", ".join(["%s"] * len(keys)))
    with connection.cursor() as cursor:
        cursor.execute(sql, [scope, *keys, minute_tag(minute)])
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def clear(scope: str) -> None:
    """Forget every count of `scope` (tests, and an operator lifting a brake at once)."""
    MinuteCount.objects.filter(scope=scope).delete()
