"""Issue #15, item 4: what the brakes cost once they count in the database instead of one process's memory.

For each database, a child process (bench/_brakes_child.py) with production settings times,
in process and interleaved sample by sample with the per-process code they replaced:

- the receipt brake's check of a receipt and its count of a failed look-up;
- the flood brake's count of a submission, and the API rate limit's count of a call (the
  same statement);
- a whole look-up of an unknown receipt (`access_by_receipt`: keyed hashes, the brake, one
  indexed query, a dummy sealed-box open), with either brake.

Wall-clock time (`time.perf_counter`): on PostgreSQL part of the work is the server's.
"""

from __future__ import annotations

import time
from typing import Any

from bench import _machine
from bench._child import run_child
from bench._results import BenchOptions, BenchResult, Check, Row, tables_from_json

NAME = "brakes"
TITLE = "Shared brakes: the cost of counting in the database"
TARGET = (
    "Issue #15: flood brakes and rate limits hold across processes; a shared count adds under 1 ms "
    "(median) to the request it brakes."
)
ITERATIONS = 2000
LIMIT_MS = 1.0


def run(options: BenchOptions) -> BenchResult:
    iterations = options.iterations or ITERATIONS
    result = BenchResult(NAME, TITLE, TARGET, options.command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    for target in options.databases:
        data = _measure(target.fresh_url(), iterations)
        table = tables_from_json([data["table"]])[0]
        table.title = f"{target.label}: {table.title}"
        table.notes.append(f"Database: {data['database']}, {target.detail}.")
        result.tables.append(table)
        result.checks += _checks(target.label, table.rows)
    if len(options.databases) == 1:
        result.notes.append(
            "SQLite only: add `--postgres` (a throwaway cluster, as in `make test-pg`) or set "
            "REFUGE_BENCH_DATABASE_URL to measure PostgreSQL too."
        )
    result.notes += [
        "Per process: the code before issue #15 (a table or a dict in the process's memory), kept in "
        "bench/_brakes_child.py as the baseline. Shared: refuge/core/counters.py (one INSERT … ON CONFLICT DO "
        "UPDATE per count, its own commit: on SQLite with synchronous=NORMAL in the write queue, on PostgreSQL "
        "into an UNLOGGED table; one SELECT per check).",
        "A look-up of a receipt that opens is checked but never counted: it pays the check only.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _checks(label: str, rows: list[Row]) -> list[Check]:
    by_name = {row.name: row for row in rows}
    whole_new = by_name["look-up of an unknown receipt: shared brake"]
    whole_old = by_name["look-up of an unknown receipt: per-process brake"]
    # The rows are in µs (bench/_brakes_child.py).
    added = (whole_new.median - whole_old.median) / 1000
    count = by_name["flood brake, count a submission: shared"].median / 1000
    return [
        Check(
            f"{label}: an unknown receipt's look-up, shared brake minus per-process brake < {LIMIT_MS:.0f} ms",
            f"{added:.2f} ms ({whole_old.median / 1000:.2f} → {whole_new.median / 1000:.2f} ms)",
            added < LIMIT_MS,
        ),
        Check(
            f"{label}: counting a submission or an API call < {LIMIT_MS:.0f} ms", f"{count:.2f} ms", count < LIMIT_MS
        ),
    ]


def _measure(database_url: str | None, iterations: int) -> dict[str, Any]:
    """Run the child in a fresh data directory; return what it measured."""
    return run_child("brakes", "bench._brakes_child", ["--iterations", str(iterations)], database_url, timeout=1800)
