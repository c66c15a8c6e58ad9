"""Database connections are kept between requests (and checked) on SQLite and PostgreSQL alike."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

import refuge


def _database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str | None) -> dict:
    monkeypatch.setenv("REFUGE_DATA_DIR", str(tmp_path))
    if url is None:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("DATABASE_URL", url)
    settings = runpy.run_path(str(Path(refuge.__file__).parent / "settings.py"), run_name="settings_under_test")
    database: dict = settings["DATABASES"]["default"]
    return database


@pytest.mark.parametrize(
    ("url", "engine"),
    [
        (None, "django.db.backends.sqlite3"),
        ("postgres://refuge@%2Fvar%2Frun%2Fpostgresql/refuge", "django.db.backends.postgresql"),
    ],
)
def test_connections_are_persistent_and_health_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str | None, engine: str
) -> None:
    database = _database(monkeypatch, tmp_path, url)

    assert database["ENGINE"] == engine
    # Reconnecting (and re-running SQLite's PRAGMAs) on every request cost more than the request.
    assert database["CONN_MAX_AGE"] >= 60
    assert database["CONN_HEALTH_CHECKS"] is True


def test_sqlite_keeps_its_durability_pragmas_with_persistent_connections(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    database = _database(monkeypatch, tmp_path, None)

    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
        assert f"PRAGMA {pragma}" in options["init_command"]


def test_postgresql_connections_start_no_parallel_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    database = _database(monkeypatch, tmp_path, "postgres://refuge@%2Fvar%2Frun%2Fpostgresql/refuge")

    # Short queries on 2 shared cores: workers cost more than they save (BENCHMARKS.md, workspace).
    assert database["OPTIONS"]["options"] == "-c max_parallel_workers_per_gather=0"


@pytest.mark.postgres
def test_the_setting_reaches_the_server(db: None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone() == ("0",)
