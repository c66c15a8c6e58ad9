"""`refuge serve` runs one scheduler process beside its workers, and stops it when it stops."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from tests.support.server import run_refuge, running_server

pytestmark = pytest.mark.slow


def _children(pid: int) -> dict[int, list[str]]:
    """The live child processes of `pid` and their command lines."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, IndexError):
            continue
        if parent == pid:
            found[int(stat.parent.name)] = [part for part in command if part]
    return found


def _schedulers(pid: int) -> list[int]:
    return [child for child, command in _children(pid).items() if "scheduler" in command]


def _wait(condition, seconds: float = 60):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    return condition()


def test_serve_runs_one_scheduler_beside_its_workers_and_stops_it(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    with running_server(data_dir, workers=2) as server:
        master = server.process.pid
        schedulers = _wait(lambda: _schedulers(master))
        assert len(schedulers) == 1, _children(master)
        assert _wait(lambda: len(_children(master)) == 3), _children(master)  # two workers and the scheduler
        assert len(_schedulers(master)) == 1
        # The scheduler has run the notice job once, on the server's own database.
        listed = _wait(lambda: "runs:        1" in run_refuge(data_dir, "jobs").stdout and run_refuge(data_dir, "jobs"))
        assert listed, run_refuge(data_dir, "jobs").stdout
        assert "ok mail is off" in listed.stdout
        # A scheduler that dies is started again.
        os.kill(schedulers[0], signal.SIGKILL)
        replaced = _wait(lambda: [pid for pid in _schedulers(master) if pid != schedulers[0]], seconds=30)
        assert len(replaced) == 1
        # Stopping the server (SIGTERM, as a process manager does) stops the scheduler too.
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(60)
        assert _wait(lambda: not Path(f"/proc/{replaced[0]}").exists(), seconds=30)


def test_serve_without_the_scheduler_starts_none(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    with running_server(data_dir, workers=1, REFUGE_SCHEDULER="off") as server:
        assert _wait(lambda: len(_children(server.process.pid)) == 1)
        time.sleep(2)
        assert _schedulers(server.process.pid) == []
        assert "not run yet" in run_refuge(data_dir, "jobs").stdout
