"""The suite runs on the database it was asked for, with the production durability settings."""

from __future__ import annotations

import os

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_the_active_engine_is_the_one_requested() -> None:
    # Without this, a PostgreSQL run that silently fell back to SQLite would pass.
    requested = os.environ.get("REFUGE_TEST_DATABASE", "sqlite") or "sqlite"
    assert connection.vendor == {"sqlite": "sqlite", "postgres": "postgresql"}[requested]


def test_the_tests_never_use_a_real_database() -> None:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        assert name.startswith(os.environ["REFUGE_DATA_DIR"])
    else:
        assert name.startswith("test_")
        assert str(connection.settings_dict["HOST"]).startswith(os.environ["REFUGE_DATA_DIR"].rsplit("/", 1)[0])


def test_acknowledged_writes_survive_a_crash_on_the_active_database() -> None:
    # DESIGN.md §4: SQLite in WAL mode with synchronous=FULL; PostgreSQL with fsync on.
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
        else:
            cursor.execute("SHOW fsync")
            assert cursor.fetchone()[0] == "on"
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


@pytest.mark.postgres
def test_postgresql_is_version_15_or_newer() -> None:
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 150000
