"""The test harness itself: it must never make a PostgreSQL run silently pass on something else."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import pytest

from tests import harness
from tests.postgres import OWNER_FILE, PostgresUnavailable, ThrowawayCluster, find_bin_dir, reap_orphans


def test_the_cluster_url_reaches_the_socket_directory_and_nothing_else(tmp_path: Path) -> None:
    cluster = ThrowawayCluster(tmp_path, root=tmp_path / "refuge-pg-x")
    parsed = dj_database_url.parse(cluster.url())
    assert parsed["ENGINE"] == "django.db.backends.postgresql"
    assert parsed["HOST"] == str(tmp_path / "refuge-pg-x" / "socket")
    assert parsed["NAME"] == "refuge"
    assert parsed["USER"] == "refuge"
    assert not parsed["PASSWORD"]


def test_missing_postgresql_binaries_are_an_error_that_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REFUGE_TEST_PG_BIN", str(tmp_path))
    with pytest.raises(PostgresUnavailable, match="apt-get install postgresql"):
        find_bin_dir()


def test_an_unknown_test_database_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFUGE_TEST_DATABASE", "mysql")
    with pytest.raises(pytest.UsageError, match="sqlite, postgres"):
        harness.requested_database()
    monkeypatch.setenv("REFUGE_TEST_DATABASE", " Postgres ")
    assert harness.requested_database() == "postgres"
    monkeypatch.delenv("REFUGE_TEST_DATABASE")
    assert harness.requested_database() == "sqlite"


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("1", True), ("TRUE", True), ("", False), ("0", False)]
)
def test_ci_is_recognised(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert harness.in_ci() is expected


def _dead_pid() -> int:
    pid = 2**22 - 1  # above the usual pid_max of 4194304 - 1
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def test_clusters_left_by_a_killed_run_are_deleted_and_live_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    orphan, alive, starting = (tmp_path / f"refuge-pg-{name}" for name in ("orphan", "alive", "starting"))
    for root in (orphan, alive, starting):
        root.mkdir()
    (orphan / OWNER_FILE).write_text(str(_dead_pid()))
    (alive / OWNER_FILE).write_text(str(os.getpid()))
    assert reap_orphans(tmp_path / "bin") == [orphan]
    assert not orphan.exists()
    assert alive.exists()
    assert starting.exists()
