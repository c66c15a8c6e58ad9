"""bench/_child.py runs a benchmark's measuring child in a fresh data directory and says why it failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._child import run_child


def test_the_child_measures_in_a_fresh_production_data_directory_that_is_removed_after() -> None:
    seen = run_child("probe", "tests.bench._child_probe", [], None, timeout=120)
    data_dir = Path(seen["data_dir"])
    assert seen["settings"] == "refuge.settings" and seen["output_inside"] is True
    assert seen["database_url"] is None  # its own SQLite in the data directory, not the test run's database
    assert data_dir.parent.name.startswith("refuge-bench-probe-") and not data_dir.parent.exists()
    assert run_child("probe", "tests.bench._child_probe", [], "postgres://elsewhere/db", timeout=120)[
        "database_url"
    ] == ("postgres://elsewhere/db")


def test_a_failed_child_says_which_benchmark_failed_with_its_output_and_the_server_log() -> None:
    with pytest.raises(RuntimeError) as failure:
        run_child("login timing", "tests.bench._child_probe", ["--fail"], None, timeout=120)
    message = str(failure.value)
    assert message.startswith("the login timing benchmark failed:")
    assert "what the child printed" in message and "the server's last words" in message
