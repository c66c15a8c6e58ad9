"""DESIGN.md §7: "outcome statistics over 100,000 applications: < 1 s", and the advisor under 150 ms
p95 for an organisation with that history (issue #12).

For each database, bench/outcomes_measure.py runs under pytest in a child process (the test
harness makes it a fresh database: a file for SQLite, a throwaway cluster for PostgreSQL) and
writes its samples as JSON: one organisation with 100,000 applications over 2,000 cases (a fifth
arrived) and the shared pathways, a second one with 5,000 that must not be counted. It times `outcomes()`
for the coordinator (every application) and for a caseworker on 40 of the 2,000 cases, and the
advisor's work for one person (the organisation's history per pathway, then the ranking).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import _machine
from bench._results import BenchOptions, BenchResult, Check, Row, Table

NAME = "outcomes"
TITLE = "Outcome statistics and the advisor over 100,000 applications"
TARGET = (
    "Outcome statistics over 100,000 applications: < 1 s; the advisor: < 150 ms p95 for an organisation "
    "with that history."
)
ROOT = Path(__file__).resolve().parent.parent
ADVISOR_RUNS = 100
OUTCOME_RUNS = 10


def run(options: BenchOptions) -> BenchResult:
    result = BenchResult(NAME, TITLE, TARGET, options.command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    for target in options.databases:
        load = os.getloadavg()[0]
        measured = _measure("sqlite" if target.is_sqlite else "postgres", options.iterations)
        table, checks = _report(target.label, measured)
        # The runner checks the CPUs only before the first database: say how loaded the machine was for each.
        table.notes.append(f"Load average at the start: {load:.1f} (1 minute, on {os.cpu_count()} CPUs).")
        result.tables.append(table)
        result.checks += checks
    if len(options.databases) == 1:
        result.notes.append(
            "SQLite only: add `--postgres` (a throwaway cluster, as in `make test-pg`) to measure PostgreSQL too."
        )
    result.notes += [
        "In process, no HTTP: `outcomes()` and `history_by_pathway()` + `advise()` as the pages call them, on a "
        "database the test harness makes (PostgreSQL: its own throwaway cluster, fsync on).",
        "The applications are written in bulk with the clear columns the actions write (status, months, days to "
        "decision) and random bytes for the encrypted folder, which neither measurement decrypts; a fifth of the "
        "cases have an arrival; the advisor's decision counts are then counted from them, as migration "
        "applications 0005 counts the applications already stored (the status action keeps them afterwards).",
        "The rows are committed and the planner's statistics gathered as in use: SQLite's full ANALYZE, which "
        "`refuge serve` runs at start; PostgreSQL's VACUUM ANALYZE, which autovacuum runs after inserts. "
        "`REFUGE_BENCH_PROFILE=1 .venv/bin/pytest bench/outcomes_measure.py -s` prints where the time goes and "
        "every query's plan.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _measure(database: str, iterations: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="refuge-bench-outcomes-") as scratch:
        output = Path(scratch) / "samples.json"
        env = {
            **os.environ,
            "REFUGE_TEST_DATABASE": database,
            "REFUGE_BENCH_OUTPUT": str(output),
            "REFUGE_BENCH_ADVISOR_RUNS": str(iterations or ADVISOR_RUNS),
            "REFUGE_BENCH_OUTCOME_RUNS": str(iterations or OUTCOME_RUNS),
        }
        command = [
            sys.executable, "-m", "pytest", "bench/outcomes_measure.py", "-q", "-p", "no:randomly",
            "-p", "no:cacheprovider", "-o", "timeout=3600", "-x",
        ]  # fmt: skip
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0 or not output.exists():
            raise RuntimeError(f"bench/outcomes_measure.py failed on {database}:\n{done.stdout[-3000:]}\n{done.stderr}")
        measured: dict[str, Any] = json.loads(output.read_text())
        return measured


def _report(label: str, measured: dict[str, Any]) -> tuple[Table, list[Check]]:
    coordinator = Row.timings("outcomes, coordinator (every application)", measured["coordinator"])
    caseworker = Row.timings("outcomes, caseworker on 40 of 2,000 cases", measured["caseworker"])
    advisor = Row.timings("advisor: the history per pathway, then the ranking", measured["advisor"])
    applications = f"{measured['applications']:,}"
    table = Table(f"{label}: {applications} applications, in process", [coordinator, caseworker, advisor])
    checks = [
        Check(
            f"{label}: outcomes for a coordinator, median < 1 s",
            f"{coordinator.median:.0f} ms",
            coordinator.median < 1000,
        ),
        Check(
            f"{label}: outcomes for a caseworker, median < 1 s", f"{caseworker.median:.0f} ms", caseworker.median < 1000
        ),
        Check(f"{label}: the advisor, p95 < 150 ms", f"{advisor.p95:.0f} ms", (advisor.p95 or 0) < 150),
    ]
    return table, checks
