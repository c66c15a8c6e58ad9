"""`refuge serve` refreshes SQLite's planner statistics at start, and starts even when it cannot."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.db import OperationalError, connection

from refuge.ops.db_maintenance import refresh_planner_statistics

pytestmark = pytest.mark.django_db(transaction=True)


def _analyze_fails_with(message: str) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql == "ANALYZE":
            raise OperationalError(message)
        return execute(sql, params, many, context)

    return wrapper


def test_the_statistics_are_gathered_in_a_transaction_of_their_own() -> None:
    if connection.vendor != "sqlite":
        assert refresh_planner_statistics() == "not needed"  # PostgreSQL's autovacuum keeps them
        return
    seen: list[bool] = []

    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql == "ANALYZE":
            seen.append(connection.in_atomic_block)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        assert refresh_planner_statistics() == "gathered"
    # An IMMEDIATE transaction: the write lock is waited for first, never asked for after reading.
    assert seen == [True]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1")
        assert cursor.fetchone()[0] > 0


def test_a_database_that_stays_locked_keeps_the_earlier_statistics_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    if connection.vendor != "sqlite":
        return  # nothing is run there (the test above)
    refresh_planner_statistics()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1")
        before = cursor.fetchone()[0]
    with caplog.at_level(logging.WARNING), connection.execute_wrapper(_analyze_fails_with("database is locked")):
        assert refresh_planner_statistics() == "kept: the database stayed busy"
    assert "planner statistics not refreshed" in caplog.text
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1")
        assert cursor.fetchone()[0] == before


def test_any_other_database_error_is_not_swallowed() -> None:
    if connection.vendor != "sqlite":
        return
    with connection.execute_wrapper(_analyze_fails_with("disk I/O error")), pytest.raises(OperationalError):
        refresh_planner_statistics()
