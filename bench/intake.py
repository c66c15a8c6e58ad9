"""DESIGN.md §7: intake ≥ 250 submissions/s with 64 concurrent submitters, p99 < 250 ms, zero
errors, with 100,000 requests already stored; a submission's cost flat up to 1,000,000 stored;
and intake within 1.3× of the same flow with encryption switched off (issue #11).

Two parts, each on SQLite and (with `--postgres`) PostgreSQL:

1. **Through the server.** Variants, each on its own data directory pre-filled with
   STORED requests (tests/support/stored_requests.py, then ANALYZE as `refuge serve` does):
   the portal under granian (`refuge serve`'s default), the baseline build under granian
   (bench/baseline_settings.py: the same flow with encryption switched off), and the
   portal under gunicorn (`REFUGE_SERVER=gunicorn`, the server it replaced), and the
   portal under granian loaded by the asyncio client, for the clients' own cost. Round
   after round each variant gets a fresh `refuge serve` (4 workers × 1 thread), a warm-up,
   then 64 submitters for SECONDS: the lean client (bench/_lean_client.py: wrk and a Lua
   script, one connection per thread) or, for the comparison variant, tests/support/load.py's
   asyncio client. The variants take turns within a round, so other work on the machine
   falls on all of them alike. Each row is the median of the rounds' samples; p99 is of
   every POST of every round. Every acknowledged receipt of the portal's runs is then
   checked against the database, some opened. REFUGE_BENCH_INTAKE_CLIENT=python loads every
   variant with the asyncio client instead (and drops the comparison variant).
2. **In process, by stored requests.** Server CPU per submission (GET + POST through
   Django's WSGI handler, no server, no client: bench/_intake_cpu.py) with 0, 100,000
   and 1,000,000 requests stored, and the baseline's at 0; variants interleaved round by
   round.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import _machine
from bench._intake_child import PATHS, tree_cpu_seconds
from bench._login_child import worker_pids
from bench._results import BenchOptions, BenchResult, Check, Row, Table, percentile

NAME = "intake"
TITLE = "Intake under concurrent submitters"
TARGET = (
    "Intake: ≥ 250 submissions/s sustained with 64 concurrent submitters, p99 < 250 ms, zero errors, with "
    "100,000 requests already stored; the cost of a submission flat up to 1,000,000 stored; within 1.3× of "
    "the same flow with encryption switched off."
)
ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 250.0
TARGET_P99_MS = 250.0
OVERHEAD_LIMIT = 1.3
# Flat: the cost at the largest size within this factor of the cost with nothing stored.
FLAT_LIMIT = 1.15
CLIENTS = 64
CONFIG = (4, 1)
SECONDS = 10.0
WARM_UP = 2.0
ROUNDS = 3
STORED = 100_000
SIZES = (0, 100_000, 1_000_000)
CPU_SUBMISSIONS = 150
VERIFY_SAMPLE = 20
# The client of the main variants: "wrk" (bench/_lean_client.py) or "python" (tests/support/load.py).
CLIENT_ENV = "REFUGE_BENCH_INTAKE_CLIENT"
CLIENTS_BY_NAME = ("wrk", "python")
# The variant that measures the asyncio client beside the lean one (dropped when it is the only client).
PYTHON_CLIENT_VARIANT = "portal, granian, asyncio client"


def variants(client: str) -> list[tuple[str, str, str, str]]:
    """(name, flow, server, client) of every variant through the server."""
    found = [("portal, granian", "encrypted", "granian", client), ("baseline, granian", "baseline", "granian", client),
             ("portal, gunicorn", "encrypted", "gunicorn", client)]  # fmt: skip
    if client != "python":
        found.append((PYTHON_CLIENT_VARIANT, "encrypted", "granian", "python"))
    return found


def chosen_client() -> str:
    client = os.environ.get(CLIENT_ENV, "wrk")
    if client not in CLIENTS_BY_NAME:
        raise SystemExit(f"{CLIENT_ENV} must be one of {', '.join(CLIENTS_BY_NAME)}, not {client!r}")
    return client


def run(options: BenchOptions) -> BenchResult:
    rounds = options.iterations or ROUNDS
    client = chosen_client()
    command = options.command if client == "wrk" else f"{CLIENT_ENV}={client} {options.command}"
    result = BenchResult(NAME, TITLE, TARGET, command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    if client == "wrk":
        from bench._lean_client import wrk_path

        wrk_path()  # before minutes of filling databases: a missing wrk is said at once
    for target in options.databases:
        served = _through_the_server(target, rounds, variants(client))
        costs = _by_stored_requests(target, rounds)
        tables, checks = _report(target.label, target.detail, served, costs, rounds)
        result.tables += tables
        result.checks += checks
    if len(options.databases) == 1:
        result.notes.append(
            "SQLite only: add `--postgres` (a throwaway cluster, as in `make test-pg`) or set "
            "REFUGE_BENCH_DATABASE_URL to measure PostgreSQL too."
        )
    result.notes += _general_notes(rounds, client)
    result.seconds = time.monotonic() - started
    return result


# --- 1. through the server -----------------------------------------------------------------------


def _set_up(base: Path, name: str, flow: str, server: str, database_url: str | None) -> tuple[Path, dict[str, str]]:
    from bench._intake_cpu import Variant, prepare

    variant = Variant(name.replace(", ", "-"), ROOT, baseline=flow == "baseline")
    prepared = prepare(variant, STORED, base, database_url)
    env = {"PYTHONPATH": str(ROOT), "REFUGE_SERVER": server, "REFUGE_SUBMISSIONS_PER_MINUTE": "1000000"}
    if flow == "baseline":
        env["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"
    if database_url:
        env["DATABASE_URL"] = database_url
    return prepared.data_dir, env


def _one_sample(data_dir: Path, env: dict[str, str], flow: str, postmaster: int | None, client: str) -> dict[str, Any]:
    from bench._lean_client import run_lean_load
    from tests.support.load import run_load
    from tests.support.server import running_server

    load = run_lean_load if client == "wrk" else run_load
    workers, threads = CONFIG
    path = PATHS[flow]
    with running_server(data_dir, workers=workers, REFUGE_THREADS=str(threads), **env) as server:
        warm = load(server.port, path, clients=8, seconds=WARM_UP)
        master = server.process.pid

        def cpu() -> tuple[float, float]:
            database = tree_cpu_seconds(postmaster, worker_pids(postmaster)) if postmaster else 0.0
            return tree_cpu_seconds(master, worker_pids(master)), database

        before = cpu()
        report = load(server.port, path, clients=CLIENTS, seconds=SECONDS, warm_up=1.0)
        after = cpu()
    count = max(1, len(report.sent))
    return {
        "rate": report.per_second,
        "post": report.post_seconds,
        "server_ms": (after[0] - before[0]) * 1000 / count,
        "database_ms": (after[1] - before[1]) * 1000 / count,
        "client_ms": report.client_cpu_seconds * 1000 / count,
        "errors": report.error_count + warm.error_count,
        "error_text": report.describe_errors() if report.error_count else "",
        "sent": report.sent + warm.sent,
    }


def _postmaster(url: str | None) -> int | None:
    if not url:
        return None
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW data_directory").fetchone()
    try:
        return int((Path(str(row[0])) / "postmaster.pid").read_text().splitlines()[0]) if row else None
    except (OSError, ValueError, IndexError):
        return None


def _verify(data_dir: Path, env: dict[str, str], sent: list[Any]) -> dict[str, Any]:
    """Every acknowledged receipt against the database, in a process with the server's settings."""
    from tests.support.load import write_sent
    from tests.support.server import refuge_env

    sent_path, output = data_dir / "sent.json", data_dir / "verified.json"
    write_sent(sent, sent_path)
    command = [sys.executable, "-m", "tests.support.load", "verify", str(sent_path), str(output), str(VERIFY_SAMPLE)]
    subprocess.run(command, cwd=ROOT, env=refuge_env(data_dir, **env), check=True, timeout=3600)
    verified: dict[str, Any] = json.loads(output.read_text())
    return verified


def _through_the_server(target: Any, rounds: int, chosen: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    base = Path(tempfile.mkdtemp(prefix="refuge-bench-intake-"))
    try:
        setups = {}
        for name, flow, server, client in chosen:
            print(f"  {target.label}: {name}, {STORED:,} requests stored", flush=True)
            url = target.fresh_url()
            setups[name] = (*_set_up(base, name, flow, server, url), flow, _postmaster(url), client)
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in setups}
        for number in range(rounds):
            order = list(setups) if number % 2 == 0 else list(reversed(setups))
            for name in order:
                data_dir, env, flow, postmaster, client = setups[name]
                sample = _one_sample(data_dir, env, flow, postmaster, client)
                print(
                    f"  round {number + 1} {name}: {sample['rate']:.1f}/s, {sample['errors']} errors, "
                    f"CPU per submission: server {sample['server_ms']:.2f} ms, client {sample['client_ms']:.2f} ms",
                    flush=True,
                )
                samples[name].append(sample)
        verified = {}
        for name, (data_dir, env, flow, _postmaster_pid, _client) in setups.items():
            if flow == "encrypted":
                verified[name] = _verify(data_dir, env, [s for sample in samples[name] for s in sample["sent"]])
        for found in samples.values():
            for sample in found:
                sample["sent"] = len(sample["sent"])
        return {"samples": samples, "verified": verified}
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- 2. in process, by stored requests -----------------------------------------------------------


def _by_stored_requests(target: Any, rounds: int) -> dict[tuple[str, int], list[dict[str, float]]]:
    from bench._intake_cpu import Variant, prepare, run_rounds

    base = Path(tempfile.mkdtemp(prefix="refuge-bench-intake-cpu-"))
    try:
        prepared = []
        for stored in SIZES:
            print(f"  {target.label}: in process, {stored:,} requests stored", flush=True)
            prepared.append(prepare(Variant("portal", ROOT), stored, base, target.fresh_url()))
        prepared.append(prepare(Variant("baseline", ROOT, baseline=True), 0, base, target.fresh_url()))
        return run_rounds(prepared, rounds, CPU_SUBMISSIONS, 20)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- report --------------------------------------------------------------------------------------


def _median(samples: list[dict[str, Any]], key: str) -> float:
    return statistics.median(sample[key] for sample in samples)


def _report(
    label: str, detail: str, served: dict[str, Any], costs: dict[tuple[str, int], list[dict[str, float]]], rounds: int
) -> tuple[list[Table], list[Check]]:
    samples = served["samples"]
    rows, notes = [], [f"Database: {detail}."]
    rates = {
        name: Row(f"{name}: submissions/s", "/s", len(found), _median(found, "rate")) for name, found in samples.items()
    }
    posts = {
        name: Row.timings(f"{name}: POST → receipt page", [s for sample in found for s in sample["post"]])
        for name, found in samples.items()
    }
    for name in samples:
        if name != "baseline, granian":
            rates[name].baseline = rates["baseline, granian"].name
            rates[name].ratio = rates[name].median / max(1e-9, rates["baseline, granian"].median)
        cpu = Row(f"{name}: server CPU per submission", "ms", len(samples[name]), _median(samples[name], "server_ms"))
        if name == "portal, granian":
            gunicorn = _median(samples["portal, gunicorn"], "server_ms")
            cpu.baseline, cpu.ratio = "portal, gunicorn", cpu.median / max(1e-9, gunicorn)
        client = Row(
            f"{name}: client CPU per submission", "ms", len(samples[name]), _median(samples[name], "client_ms")
        )
        if name == "portal, granian" and PYTHON_CLIENT_VARIANT in samples:
            python_client = _median(samples[PYTHON_CLIENT_VARIANT], "client_ms")
            client.baseline, client.ratio = PYTHON_CLIENT_VARIANT, client.median / max(1e-9, python_client)
        rows += [rates[name], posts[name], cpu, client]
        found = samples[name]
        notes.append(
            f"{name}: {sum(s['sent'] for s in found)} acknowledged in {len(found)} samples; CPU per submission: server "
            f"{_median(found, 'server_ms'):.1f} ms, database {_median(found, 'database_ms'):.1f} ms, client "
            f"{_median(found, 'client_ms'):.1f} ms; errors {sum(s['errors'] for s in found)}"
            + "".join(f" ({s['error_text'][:200]})" for s in found if s["error_text"])
        )
    workers, threads = CONFIG
    server_table = Table(
        f"{label}: `refuge serve` {workers}×{threads}, {CLIENTS} submitters, {STORED:,} requests stored, "
        f"{rounds} samples of {SECONDS:.0f} s per variant, in turn",
        rows,
        notes,
    )
    cost_rows = []
    zero = statistics.median(r["post_ms"] + r["get_ms"] for r in costs[("portal", 0)])
    baseline = statistics.median(r["post_ms"] + r["get_ms"] for r in costs[("baseline", 0)])
    for (name, stored), found in costs.items():
        value = statistics.median(r["post_ms"] + r["get_ms"] for r in found)
        row = Row(f"{name}, {stored:,} requests stored: GET + POST", "ms", len(found), value)
        if name == "portal":
            row.baseline, row.ratio = (
                "baseline, 0 stored" if stored == 0 else "portal, 0 stored",
                value / (baseline if stored == 0 else zero),
            )
        cost_rows.append(row)
    cost_table = Table(
        f"{label}: server CPU per submission by requests stored (in process, median of {rounds} rounds of "
        f"{CPU_SUBMISSIONS} submissions)",
        cost_rows,
        ["CPU time of the process (time.process_time) for the form page and its POST through Django's WSGI "
         "handler (bench/_intake_cpu.py): no server, no client, no other process counted."],
    )  # fmt: skip
    return [server_table, cost_table], _checks(label, samples, served["verified"], costs, zero, baseline)


def _checks(
    label: str,
    samples: dict[str, list[dict[str, Any]]],
    verified: dict[str, dict[str, Any]],
    costs: dict[tuple[str, int], list[dict[str, float]]],
    zero: float,
    baseline: float,
) -> list[Check]:
    portal = samples["portal, granian"]
    rate = _median(portal, "rate")
    post_ms = [s * 1000 for sample in portal for s in sample["post"]]
    p99 = percentile(post_ms, 99) if len(post_ms) > 1 else float("nan")
    errors = sum(sample["errors"] for found in samples.values() for sample in found)
    largest = max(SIZES)
    at_largest = statistics.median(r["post_ms"] + r["get_ms"] for r in costs[("portal", largest)])
    base_rate = _median(samples["baseline, granian"], "rate")
    checks = [
        Check(
            f"{label}: ≥ {TARGET_RATE:.0f} submissions/s at {CLIENTS} submitters, {STORED:,} stored (median of samples)",
            f"{rate:.0f}/s",
            rate >= TARGET_RATE,
        ),
        Check(
            f"{label}: POST p99 < {TARGET_P99_MS:.0f} ms at {CLIENTS} submitters",
            f"median {statistics.median(post_ms):.0f} ms, p99 {p99:.0f} ms",
            p99 < TARGET_P99_MS,
        ),
        Check(f"{label}: zero errors, every sample of every variant", f"{errors} errors", errors == 0),
        Check(
            f"{label}: cost flat from 0 to {largest:,} stored (≤ {FLAT_LIMIT}×)",
            f"{zero:.2f} ms → {at_largest:.2f} ms: {at_largest / zero:.2f}×",
            at_largest / zero <= FLAT_LIMIT,
        ),
        Check(
            f"{label}: encryption overhead, CPU per submission ≤ {OVERHEAD_LIMIT}× the baseline's (in process)",
            f"{zero:.2f} ms vs {baseline:.2f} ms: {zero / baseline:.2f}×",
            zero / baseline <= OVERHEAD_LIMIT,
        ),
        Check(
            f"{label}: encryption overhead, capacity: submissions/s ≥ baseline's ÷ {OVERHEAD_LIMIT}",
            f"{rate:.0f}/s vs {base_rate:.0f}/s: {base_rate / max(1e-9, rate):.2f}× fewer",
            base_rate / max(1e-9, rate) <= OVERHEAD_LIMIT,
        ),
    ]
    for name, found in verified.items():
        # The pre-filled requests answer to no receipt: exactly those are "unacknowledged".
        intact = not (found["missing"] or found["mismatched"]) and found["unacknowledged"] == STORED
        intact = intact and found["distinct_receipts"] == found["acknowledged"] == found["stored"] - STORED
        checks.append(
            Check(
                f"{label}: every acknowledged submission stored and opened with its receipt ({name})",
                f"{found['acknowledged']} acknowledged, {found['stored'] - STORED} stored besides the {STORED:,}, "
                f"{found['missing']} missing, {found['opened']} opened with their receipt and compared",
                intact,
            )
        )
    return checks


def _general_notes(rounds: int, client: str) -> list[str]:
    return [
        f"Through the server: {rounds} samples per variant, the variants in turn (alternating the order), each "
        f"sample a fresh `refuge serve` {CONFIG[0]}×{CONFIG[1]}, {WARM_UP:.0f} s of warm-up, then {CLIENTS} submitters "
        f"for {SECONDS:.0f} s after 1 s more. Each submitter loops, a new person each time: GET the form, POST it "
        "(multipart/form-data with fresh answers), expect the receipt page. Rates are medians of the samples; POST "
        "latencies are of every POST of every sample. The flood brake is lifted for the benchmark.",
        "Baseline (bench/baseline_settings.py, bench/baseline_app/): the same server, middleware, form, flood "
        "brake, blind indexes (keyed hashes, kept as the case pages' plaintext build keeps them), queue for SQLite's "
        "write lock, one-time form token, held audit entry, notice and pages; left out is the encryption: no "
        "receipt-derived lookup id and keypair, no record key sealed three times, no AEAD, no key rows.",
        (
            "Client and server share the machine's cores. The client is the lean one (bench/_lean_client.py): wrk "
            "with a Lua script, one connection per thread, each thread one submitter that takes the tokens from "
            "its GET, posts a body made beforehand by the asyncio client's own functions (the same fields and "
            "sizes) and records the receipt. The variant named 'asyncio client' is loaded by tests/support/load.py "
            "instead, in the same rounds, for the clients' own CPU per submission (the client rows: wrk's CPU "
            "plus the bench process's for making the bodies used and reading the results)."
            if client == "wrk"
            else "Client and server share the machine's cores: the client is one asyncio process "
            f"(tests/support/load.py), chosen with {CLIENT_ENV}=python; its CPU per submission is in the client rows."
        ),
        "`--iterations N` sets the number of rounds (default 3). Pre-filling 1,000,000 requests takes minutes.",
    ]
