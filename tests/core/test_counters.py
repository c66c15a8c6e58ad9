"""The brakes' per-minute counts are the database's, shared by every process (refuge/core/counters.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from refuge.core import counters
from refuge.core.models import MinuteCount
from tests.scheduler.helpers import url_of_the_test_database


@pytest.mark.django_db
def test_counts_add_up_within_a_minute_and_start_again_in_the_next() -> None:
    assert counters.add("test", {"a": 1, "b": 2}, minute=100) == {"a": 1, "b": 2}
    assert counters.add("test", {"a": 3}, minute=100) == {"a": 4}
    assert counters.highest("test", ["a", "b", "c"], minute=100) == 4
    # The next minute: the same rows, counted from zero.
    assert counters.highest("test", ["a", "b"], minute=101) == 0
    assert counters.add("test", {"a": 1}, minute=101) == {"a": 1}
    assert counters.highest("test", ["b"], minute=101) == 0
    # One row per key, however many minutes pass: the table cannot grow past the keys.
    assert MinuteCount.objects.filter(scope="test").count() == 2


@pytest.mark.django_db
def test_scopes_do_not_share_counts() -> None:
    counters.add("one", {"k": 5}, minute=7)
    assert counters.highest("other", ["k"], minute=7) == 0
    counters.clear("one")
    assert counters.highest("one", ["k"], minute=7) == 0


@pytest.mark.django_db
def test_nothing_to_count_sends_nothing(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        assert counters.add("test", {}) == {}
        assert counters.highest("test", []) == 0


@pytest.mark.django_db(transaction=True)
def test_a_count_costs_no_flush_and_leaves_every_other_write_durable() -> None:
    counters.add("test", {"k": 1})
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Back to synchronous=FULL after the count, for every other write (refuge/settings.py).
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2
        else:
            # UNLOGGED on PostgreSQL: its commits wait for no WAL flush (migration core.0002).
            cursor.execute("SELECT relpersistence FROM pg_class WHERE relname = 'core_minutecount'")
            assert cursor.fetchone()[0] == "u"
    assert counters.highest("test", ["k"]) == 1


# A process of its own that counts one key `times` times, one statement each, as app processes do.
COUNTER = """
import sys
import django
django.setup()
from refuge.core import counters
for _ in range(int(sys.argv[1])):
    counters.add("test-processes", {"shared": 1}, minute=int(sys.argv[2]))
"""


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_processes_counting_at_once_lose_no_count() -> None:
    env = {**os.environ, "DATABASE_URL": url_of_the_test_database(), "DJANGO_SETTINGS_MODULE": "refuge.test_settings"}
    minute = counters.current_minute()
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(COUNTER), "200", str(minute)],
            env=env,
            cwd=Path(__file__).resolve().parents[2],
        )
        for _ in range(3)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0]
    # Three processes' counts are one count: a brake of 200 would have stopped each of them at its limit.
    assert counters.highest("test-processes", ["shared"], minute=minute) == 600
