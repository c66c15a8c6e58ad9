"""The search for requester times must be able to fail: it finds each way a time can leak."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.seizure_times import (
    Act,
    bracketing_hits,
    chain_order_hits,
    dump_hits,
    exact_time_hits,
    inserted,
    snapshot,
)

AT = datetime(2026, 11, 2, 11, 15, 12, 400_000, tzinfo=UTC)
ACT = Act("the submission", AT, AT + timedelta(milliseconds=300), {"t": {1}})


def _table(*values: object) -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE t (v)")
    connection.executemany("INSERT INTO t (rowid, v) VALUES (?, ?)", [(i + 1, v) for i, v in enumerate(values)])
    return connection


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-02 11:15:12",
        "2026-11-02 11:15:12.503000",
        "2026-11-02T11:15:13+00:00",
        '{"at": "2026-11-02T11:15:12Z"}',
        int(AT.timestamp()),
        int(AT.timestamp() * 1000),
        int(AT.timestamp() * 1_000_000),
        "2026-11-02 11:15:00",
    ],
    ids=["second", "microseconds", "iso", "in-json", "unix", "unix-ms", "unix-us", "minute"],
)
def test_a_time_of_the_act_is_found_in_a_table_and_its_dump(value: object) -> None:
    connection = _table(value)

    assert exact_time_hits(connection, [ACT])
    if not str(value).endswith(":00"):
        assert dump_hits("\n".join(connection.iterdump()), [ACT])


@pytest.mark.parametrize("value", ["2026-11-02 11:00:00", "2026-11-02 11:15:09", "2026-11-02 11:16:00"])
def test_the_hour_and_other_moments_are_not_hits(value: str) -> None:
    # The hour is what is kept; a staff act three seconds before is not the requester's;
    # another minute is not the act's minute.
    assert exact_time_hits(_table(value), [ACT]) == []


def test_a_row_numbered_between_rows_written_before_and_after_is_found() -> None:
    connection = _table("staff", "staff")
    before = snapshot(connection)
    connection.execute("INSERT INTO t (v) VALUES ('requester')")
    mine = inserted(before, snapshot(connection))
    middle = snapshot(connection)
    connection.execute("INSERT INTO t (v) VALUES ('staff')")
    act = Act("the submission", AT, AT, mine)

    assert bracketing_hits(connection, act, before, inserted(middle, snapshot(connection)))


def test_a_row_with_a_random_negative_id_is_not_bracketed() -> None:
    connection = _table("staff", "staff")
    before = snapshot(connection)
    connection.execute("INSERT INTO t (rowid, v) VALUES (-4611686018427387, 'requester')")
    mine = inserted(before, snapshot(connection))
    middle = snapshot(connection)
    connection.execute("INSERT INTO t (v) VALUES ('staff')")
    act = Act("the submission", AT, AT, mine)

    assert bracketing_hits(connection, act, before, inserted(middle, snapshot(connection))) == []


def test_a_requester_entry_chained_before_a_staff_entry_of_its_hour_is_found() -> None:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE audit_auditentry (seq, code, object_id, created_at)")
    rows = [
        (1, 404, "r", "2026-11-02 11:10:03"),
        (2, 400, "r", "2026-11-02 11:00:00"),
        (3, 404, "r", "2026-11-02 11:20:07"),
    ]
    connection.executemany("INSERT INTO audit_auditentry VALUES (?, ?, ?, ?)", rows)

    assert chain_order_hits(connection, {(400, "r")})
    connection.execute("UPDATE audit_auditentry SET created_at = '2026-11-02 12:00:05' WHERE seq = 3")
    assert chain_order_hits(connection, {(400, "r")}) == []
