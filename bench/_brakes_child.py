"""The measuring half of bench/brakes.py, run in its own process with production settings.

`python -m bench._brakes_child --iterations N --output FILE`, started by bench/brakes.py with
REFUGE_DATA_DIR (a fresh directory), DJANGO_SETTINGS_MODULE=refuge.settings and, for
PostgreSQL, DATABASE_URL. It creates the tables with `refuge init`, then times each brake
step in this process, outside any transaction as a request runs it: the per-process code
the shared brakes replaced (kept below as the baseline, as it was) and the shared code,
interleaved sample by sample so that drift of the machine falls on both.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench._results import Row, Table
from tests.support.server import run_refuge

WARM_UP = 50


class PerProcessReceiptBrake:
    """The receipt brake before issue #15 (refuge/intake/receipt_brake.py as it was): a table in memory."""

    CELLS = 2**20
    FAILURES_PER_CELL = 5

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._cells = bytearray(self.CELLS)
        self._window = 0
        self._lock = threading.Lock()

    def _indexes(self, receipt: str) -> list[int]:
        from refuge.crypto import receipt_group_digests

        return [int.from_bytes(digest) % self.CELLS for digest in receipt_group_digests(receipt, self._key)]

    def _roll(self) -> None:
        window = int(time.monotonic() // 60)
        if window != self._window:
            self._window, self._cells = window, bytearray(self.CELLS)

    def allows(self, receipt: str) -> bool:
        indexes = self._indexes(receipt)
        with self._lock:
            self._roll()
            return all(self._cells[i] < self.FAILURES_PER_CELL for i in indexes)

    def failed(self, receipt: str) -> None:
        indexes = self._indexes(receipt)
        with self._lock:
            self._roll()
            for i in indexes:
                self._cells[i] = min(255, self._cells[i] + 1)


class PerProcessBudget:
    """The flood brake and the API rate limit before issue #15: a dict of this minute's counts."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.window = 0
        self.counts: dict[object, int] = {}
        self.lock = threading.Lock()

    def allow(self, key: object) -> bool:
        with self.lock:
            window = int(time.monotonic() // 60)
            if window != self.window:
                self.window, self.counts = window, {}
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key] <= self.limit


def _interleaved(variants: dict[str, Callable[[], object]], iterations: int) -> dict[str, list[float]]:
    """Each variant once per round, in a shuffled order; wall-clock seconds per call."""
    samples: dict[str, list[float]] = {name: [] for name in variants}
    rng = random.Random(15)
    names = list(variants)
    for number in range(WARM_UP + iterations):
        rng.shuffle(names)
        for name in names:
            began = time.perf_counter()
            variants[name]()
            took = time.perf_counter() - began
            if number >= WARM_UP:
                samples[name].append(took)
    return samples


def _round_trip(connection: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _microseconds(name: str, seconds: list[float], baseline: Row | None) -> Row:
    """Row.timings in µs: the steps take tens of microseconds, which milliseconds to one decimal would hide."""
    row = Row.timings(name, seconds, baseline=baseline)
    row.unit, row.median = "µs", row.median * 1000
    row.p95 = None if row.p95 is None else row.p95 * 1000
    row.p99 = None if row.p99 is None else row.p99 * 1000
    if baseline is not None:
        row.ratio = row.median / baseline.median  # both in µs now
    return row


def measure(iterations: int) -> dict[str, object]:
    from django.conf import settings
    from django.db import connection

    from refuge.api.limits import TokenBudget
    from refuge.core.errors import UserError
    from refuge.crypto import new_receipt
    from refuge.intake import access
    from refuge.intake.receipt_brake import ReceiptBrake
    from refuge.requester.limits import MinuteBudget

    old_brake, new_brake = PerProcessReceiptBrake(), ReceiptBrake()
    old_budget = PerProcessBudget(10**9)
    submissions = MinuteBudget("REFUGE_SUBMISSIONS_PER_MINUTE", "bench-submissions")
    calls = TokenBudget()
    settings.REFUGE_SUBMISSIONS_PER_MINUTE = 10**9
    settings.REFUGE_API_REQUESTS_PER_MINUTE = 10**9
    organisation, token = uuid.uuid4(), uuid.uuid4()

    def look_up_with(brake: object) -> Callable[[], object]:
        def look_up() -> object:
            access._brake = brake  # type: ignore[assignment]
            try:
                access.access_by_receipt(new_receipt())
            except UserError as error:
                return error.code
            raise RuntimeError("a random receipt opened a request")

        return look_up

    steps = _interleaved(
        {
            "receipt brake, check: per process": lambda: old_brake.allows(new_receipt()),
            "receipt brake, check: shared": lambda: new_brake.allows(new_receipt()),
            "receipt brake, count a failure: per process": lambda: old_brake.failed(new_receipt()),
            "receipt brake, count a failure: shared": lambda: new_brake.failed(new_receipt()),
            "flood brake, count a submission: per process": lambda: old_budget.allow(organisation),
            "flood brake, count a submission: shared": lambda: submissions.allow(organisation),
            "API rate limit, count a call: shared": lambda: calls.allow(token),
            "for scale: one round trip to the database (SELECT 1)": lambda: _round_trip(connection),
        },
        iterations,
    )
    whole = _interleaved(
        {
            "look-up of an unknown receipt: per-process brake": look_up_with(old_brake),
            "look-up of an unknown receipt: shared brake": look_up_with(new_brake),
        },
        iterations,
    )
    rows: dict[str, Row] = {}
    for name, seconds in [*steps.items(), *whole.items()]:
        # Each shared step is compared with the per-process step it replaced (the API's was the flood brake's code).
        before = name.replace(": shared brake", ": per-process brake").replace(": shared", ": per process")
        before = before.replace("API rate limit, count a call", "flood brake, count a submission")
        rows[name] = _microseconds(name, seconds, rows.get(before) if before != name else None)
    version = connection.cursor().connection.info.server_version if connection.vendor == "postgresql" else 0
    return {
        "database": f"PostgreSQL {version // 10000}.{version % 10000}"
        if version
        else f"SQLite {connection.Database.sqlite_version}",
        "table": asdict(
            Table("Each brake step in one process, outside a transaction (wall clock)", list(rows.values()))
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    data_dir = Path(os.environ["REFUGE_DATA_DIR"])
    url = os.environ.get("DATABASE_URL")
    run_refuge(data_dir, "init", **({"DATABASE_URL": url} if url else {}))
    import django

    django.setup()
    args.output.write_text(json.dumps(measure(args.iterations)))


if __name__ == "__main__":
    main()
