"""The soak (bench/soak.py, `make soak`): its memory verdict, and a short run end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bench.soak import GROWTH_LIMIT_MIB, Sample, judge_memory
from tests.harness import requested_database

ROOT = Path(__file__).resolve().parents[2]


def _samples(series: Mapping[int, Sequence[float | None]], every: float = 10.0) -> list[Sample]:
    """Readings every `every` seconds; a worker's list may start with None (not there yet) or end early."""
    length = max(len(values) for values in series.values())
    samples = []
    for index in range(length):
        workers = {pid: mib for pid, values in series.items() if index < len(values) and (mib := values[index])}
        samples.append(Sample(index * every, workers, 20.0, index, 0))
    return samples


def test_a_worker_whose_memory_keeps_growing_is_not_flat() -> None:
    leaking = [100.0 + 0.5 * step for step in range(60)]  # 3 MiB a minute
    steady = [100.0 + (step % 3) * 0.2 for step in range(60)]

    judged = {worker.pid: worker for worker in judge_memory(_samples({1: leaking, 2: steady}), warm_up=60.0)}

    assert judged[1].flat is False and judged[1].growth_mib == pytest.approx(26.5)
    assert judged[1].slope_mib_per_10_min == pytest.approx(30.0)
    assert judged[2].flat is True


def test_growth_during_the_warm_up_does_not_count() -> None:
    booting = [60.0 + 4 * step for step in range(6)] + [84.0] * 30

    (worker,) = judge_memory(_samples({1: booting}), warm_up=60.0)

    assert worker.start_mib == 84.0 and worker.growth_mib == 0.0 and worker.flat is True


def test_a_worker_restarted_mid_run_gets_its_own_warm_up() -> None:
    old = [100.0] * 20
    new = [None] * 20 + [50.0 + 5 * step for step in range(6)] + [80.0] * 20

    judged = {worker.pid: worker for worker in judge_memory(_samples({1: old, 2: new}), warm_up=60.0)}

    assert judged[1].flat is True and judged[1].last_seen == 190.0
    assert judged[2].first_seen == 200.0 and judged[2].start_mib == 80.0 and judged[2].flat is True


def test_growth_under_the_mib_limit_still_fails_above_ten_percent() -> None:
    small = [40.0] * 10 + [40.0 + GROWTH_LIMIT_MIB / 2] * 10  # +5 MiB on 40 MiB: 12.5 %

    (worker,) = judge_memory(_samples({1: small}), warm_up=0.0)

    assert worker.flat is False


def test_a_worker_seen_too_briefly_is_not_judged() -> None:
    (worker,) = judge_memory(_samples({1: [100.0] * 7}), warm_up=60.0)

    assert worker.flat is None and worker.samples == 7


@pytest.mark.slow
def test_a_short_soak_acknowledges_everything_without_an_error(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    # On the PostgreSQL layer the soak starts a throwaway cluster of its own (bench/_databases.py).
    database = requested_database()
    completed = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "soak.py"),
            "--minutes",
            "0.5",
            "--database",
            database,
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert output.exists(), completed.stdout + completed.stderr
    result = json.loads(output.read_text())
    assert result["errors"] == {} and result["server_log_errors"] == 0 and result["server_alive"], completed.stdout
    assert result["acknowledged"] >= 0.9 * result["scheduled"] > 0, completed.stdout
    checks = {check["name"]: check for check in result["checks"]}
    assert checks["every acknowledged submission stored, nothing else"]["passed"], completed.stdout
    assert len(result["workers"]) == 2 and len(result["samples"]) >= 20
    # Half a minute says nothing about leaks, so the memory verdict is not asserted; the exit status follows it.
    assert completed.returncode == (0 if result["passed"] else 1), completed.stderr[-3000:]
    assert f"## Soak: 0.5 min at 10 submissions/s, 4 clients, {database}" in completed.stdout
