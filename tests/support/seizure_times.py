"""What a seized SQLite database says about *when* a requester acted, searched as an adversary would.

A requester's act (a submission, a message) happens at a moment the test measures:
between `start` and `end`. The adversary holds flow logs from an ISP and wants that
moment to the second or the minute. These searches report every way the seized
file gives it away:

- a time stored to the second that falls in an act's window (any table, any column,
  as text or as a Unix time in s/ms/µs/ns), or to the minute in a row the act wrote;
- a number (an id, a rowid, any integer column) that orders a row the act wrote
  between rows written before the act and rows written after it, in a table staff
  acts write too: staff acts are audited to the second, so that brackets the act;
- a requester's audit entry placed in the chain before a staff entry of its own hour.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

# ISO dates with a time, as Django writes them to SQLite and as JSON or logs would.
DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:?\d{2})?")
INTEGER = re.compile(r"(?<![\d.])\d{10,19}(?![\d.])")
# Unix times in seconds, milliseconds, microseconds and nanoseconds (years 2001 to 2096).
_EPOCH_UNITS = ((10**9, 4 * 10**9, 1), (10**12, 4 * 10**12, 10**3), (10**15, 4 * 10**15, 10**6))
_EPOCH_UNITS += ((10**18, 4 * 10**18, 10**9),)

Snapshot = dict[str, set[int]]


@dataclass(frozen=True)
class Act:
    """A requester's act: what it was, and the window in which it happened."""

    label: str
    start: datetime
    end: datetime
    # Rows it inserted, table → rowids (from snapshots before and after it).
    rows: Snapshot = field(default_factory=dict, compare=False)

    def holds(self, moment: datetime) -> bool:
        """True if a time stored to the second (or finer) could be this act's."""
        return self.start - timedelta(seconds=1) <= moment <= self.end + timedelta(seconds=1)

    def minutes(self) -> set[tuple[int, int, int, int]]:
        return {(m.day, m.hour, m.minute, 0) for m in (self.start, self.end)}


def as_moment(value: object) -> list[datetime]:
    """The moments a stored value could stand for (UTC): parsed text times and Unix times."""
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        for low, high, per_second in _EPOCH_UNITS:
            if low <= value < high:
                return [datetime.fromtimestamp(value / per_second, UTC)]
        return []
    if isinstance(value, str):
        found = []
        for match in DATETIME.finditer(value):
            moment = datetime.fromisoformat(match.group(0).replace(" ", "T"))
            found.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        return found
    return []


def _whole_hour(moment: datetime) -> bool:
    return moment.minute == moment.second == moment.microsecond == 0


def _minute_rounded(moment: datetime) -> bool:
    return moment.second == moment.microsecond == 0 and moment.minute != 0


def tables(connection: sqlite3.Connection) -> list[str]:
    rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    return [name for (name,) in rows]


def snapshot(connection: sqlite3.Connection) -> Snapshot:
    """Every table's rowids, as committed now."""
    return {name: _rowids(connection, name) for name in tables(connection)}


def _rowids(connection: sqlite3.Connection, table: str) -> set[int]:
    return {rowid for (rowid,) in connection.execute(f'SELECT rowid FROM "{table}"')}  # noqa: S608


def inserted(before: Snapshot, after: Snapshot) -> Snapshot:
    """Rows present in `after` and not in `before`, per table."""
    return {name: rows - before.get(name, set()) for name, rows in after.items() if rows - before.get(name, set())}


def _rows(connection: sqlite3.Connection, table: str) -> Iterator[tuple[int, dict[str, object]]]:
    cursor = connection.execute(f'SELECT rowid, * FROM "{table}"')  # noqa: S608
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield row[0], dict(zip(names[1:], row[1:], strict=True))


def exact_time_hits(connection: sqlite3.Connection, acts: Iterable[Act]) -> list[str]:
    """Each stored value that dates an act to the second (anywhere) or the minute (in its rows)."""
    acts = list(acts)
    hits = []
    for table in tables(connection):
        for rowid, row in _rows(connection, table):
            for column, value in row.items():
                for moment in as_moment(value):
                    hits.extend(_time_hits(acts, moment, f"{table}.{column} (rowid {rowid}) = {value!r}", table, rowid))
    return hits


def _time_hits(acts: list[Act], moment: datetime, where: str, table: str, rowid: int | None) -> list[str]:
    hits = []
    for act in acts:
        if act.holds(moment) and not _whole_hour(moment):
            hits.append(f"{act.label}: to the second in {where}")
        own_row = rowid is not None and rowid in act.rows.get(table, set())
        if own_row and _minute_rounded(moment) and (moment.day, moment.hour, moment.minute, 0) in act.minutes():
            hits.append(f"{act.label}: to the minute in {where}")
    return hits


def dump_hits(dump: str, acts: Iterable[Act]) -> list[str]:
    """The same search over a text dump (`.dump`): times written out, and integers as Unix times."""
    acts = list(acts)
    hits = []
    for match in DATETIME.finditer(dump):
        for moment in as_moment(match.group(0)):
            hits.extend(_time_hits(acts, moment, f"the dump at {match.start()}: {match.group(0)}", "", None))
    for match in INTEGER.finditer(dump):
        for moment in as_moment(int(match.group(0))):
            hits.extend(_time_hits(acts, moment, f"the dump at {match.start()}: {match.group(0)}", "", None))
    return hits


def bracketing_hits(
    connection: sqlite3.Connection,
    act: Act,
    before: Snapshot,
    staff_after: Snapshot,
    allowed: frozenset[tuple[str, str]] = frozenset(),
) -> list[str]:
    """Integers of the act's rows that sort between a row written before it and a staff row written after."""
    hits = []
    for table, mine in act.rows.items():
        earlier, later = before.get(table, set()), staff_after.get(table, set())
        if not earlier or not later:
            continue
        rows = dict(_rows(connection, table))
        columns = ["rowid", *next(iter(rows.values())).keys()] if rows else []
        for column in columns:
            if (table, column) in allowed:
                continue
            low, high = _integers(rows, earlier, column), _integers(rows, later, column)
            for value in _integers(rows, mine, column):
                if any(b < value for b in low) and any(a > value for a in high):
                    hits.append(
                        f"{act.label}: {table}.{column} = {value} sorts between rows written before and after it"
                    )
    return hits


def _integers(rows: dict[int, dict[str, object]], rowids: set[int], column: str) -> list[int]:
    found = [rowid if column == "rowid" else rows[rowid].get(column) for rowid in rowids if rowid in rows]
    return [value for value in found if isinstance(value, int) and not isinstance(value, bool)]


def chain_order_hits(connection: sqlite3.Connection, requester: set[tuple[int, str]]) -> list[str]:
    """Requester entries (code, object id) in the chain: stamped to the hour, after every entry of their hour."""
    entries = connection.execute(
        "SELECT seq, code, object_id, created_at FROM audit_auditentry ORDER BY seq"
    ).fetchall()
    hits = []
    for index, (seq, code, object_id, created_at) in enumerate(entries):
        if (code, object_id) not in requester:
            continue
        (hour,) = as_moment(created_at)
        if not _whole_hour(hour):
            hits.append(f"requester entry {seq} is stamped {created_at}, not an hour")
            continue
        for later_seq, later_code, later_object, later_at in entries[index + 1 :]:
            (moment,) = as_moment(later_at)
            same_batch = (later_code, later_object) in requester and moment == hour
            if moment < hour + timedelta(hours=1) and not same_batch:
                hits.append(f"requester entry {seq} ({hour}) comes before entry {later_seq} of its hour ({later_at})")
    return hits


def open_copy(database: Path) -> sqlite3.Connection:
    """Open a seized database (with its WAL) read-only, as an adversary's sqlite3 would."""
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True)
