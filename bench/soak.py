"""The soak (issue #5): `refuge serve` under a steady intake load; memory must stay flat, errors zero.

    make soak                                           # bench/run.py soak: 30 min, 10/s, SQLite; BENCHMARKS.md
    .venv/bin/python bench/soak.py                      # the same, result in var/soak/ only
    .venv/bin/python bench/soak.py --minutes 2 --database postgres

`bench/run.py soak` (what `make soak` runs) writes the soak's section of BENCHMARKS.md;
REFUGE_SOAK_MINUTES, REFUGE_SOAK_RATE and REFUGE_SOAK_DATABASE choose its length, rate
and database. `make bench` leaves the soak out: it is run on its own.

A fresh data directory, `refuge init` and `refuge createorg`, then `refuge serve` as
shipped (production settings, 2 workers × 4 threads, the default flood brake). A few
clients submit the request form at a fixed rate (not as fast as they can): submission n
is due at start + n / rate, taken by whichever client is free, each a new requester on
a new connection (GET the form, POST it, expect the receipt page), with the same rules
as the load test and the intake benchmark (tests/support/load.py): any other answer, a
timeout or a broken connection is an error.

Every few seconds (15 s in a long run) the resident memory (VmRSS) of each worker of
the server (granian, `refuge serve`'s default) is read from /proc. A worker is judged
after a warm-up (2 minutes, or the first 10 % of the run if that is shorter; a worker
started during the run gets its own warm-up: granian replaces one whose memory passed
600 MiB, gunicorn after its `max_requests`): its growth from its first to its last sample after
the warm-up must stay under 10 MiB and under 10 % of where it started. The slope of a
least-squares line through those samples (MiB per 10 minutes) is reported too.

After the load the server is killed (SIGKILL) and every acknowledged receipt is checked
against the database, and a sample opened with its receipt, by `python -m
tests.support.load verify`. The result goes to var/soak/result.json (--output), with a
markdown summary on stdout; the exit status is 1 if any check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on the path; the soak imports bench.* and tests.*.
sys.path.insert(0, str(ROOT))

from bench import _machine  # noqa: E402
from bench._login_child import worker_pids  # noqa: E402
from bench._results import BenchOptions, BenchResult, Check, Row, Table, percentile  # noqa: E402

# LoadRun and submit_once are the load test's own submission and error rules: the soak paces
# them instead of looping them as fast as possible.
from tests.support.load import Connection, LoadReport, LoadRun, submit_once, write_sent  # noqa: E402
from tests.support.server import ServerProcess, create_organisation, refuge_env, run_refuge, running_server  # noqa: E402

ORGANISATION = "soak"
PATH = f"/r/{ORGANISATION}/ask/"
OUTPUT = ROOT / "var" / "soak" / "result.json"
WARM_UP_SECONDS = 120.0
WARM_UP_SHARE = 0.10
# Flat memory: a judged worker grows by less than both of these after its warm-up.
GROWTH_LIMIT_MIB = 10.0
GROWTH_LIMIT_SHARE = 0.10
# A worker with fewer samples than this after its warm-up is reported, not judged.
MIN_SAMPLES = 3
# The load held if at least this share of the scheduled submissions was acknowledged.
LOAD_HELD = 0.90
VERIFY_SAMPLE = 50
# A submission that starts later than this after its due moment is counted as late.
LATE_SECONDS = 0.1
# Lines of the server's log that count as errors: granian's (and gunicorn's) ERROR and CRITICAL
# (a worker killed, timed out or failing to boot) and any Python traceback.
_SERVER_ERROR = re.compile(r"\[(?:ERROR|CRITICAL)\]|^Traceback", re.M)


# VmRSS is what is judged; its parts say what grew: RssAnon (the heap: Python objects, SQLite's
# page cache), RssFile (mapped files: code, libraries) and RssShmem (SQLite's WAL index).
MEMORY_FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def memory_mib(pid: int) -> dict[str, float]:
    """The resident memory of a process and its parts, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in MEMORY_FIELDS:
            values[name] = int(rest.split()[0]) / 1024  # the kernel writes kB (KiB)
    return values


@dataclass
class Sample:
    """One reading: seconds since the load began, VmRSS (MiB) of each worker and of the master."""

    at: float
    workers: dict[int, float]
    master: float
    acknowledged: int
    errors: int
    # Each worker's VmRSS in parts (MEMORY_FIELDS).
    parts: dict[int, dict[str, float]] = field(default_factory=dict)


@dataclass
class WorkerMemory:
    pid: int
    first_seen: float
    last_seen: float
    samples: int
    peak_mib: float
    # After the worker's warm-up (None when it has fewer than MIN_SAMPLES samples there).
    start_mib: float | None = None
    end_mib: float | None = None
    growth_mib: float | None = None
    slope_mib_per_10_min: float | None = None
    flat: bool | None = None
    # The growth of VmRSS's parts over the same window (RssAnon, RssFile, RssShmem), when read.
    parts_growth_mib: dict[str, float] = field(default_factory=dict)


@dataclass
class Soak:
    minutes: float
    rate: float
    clients: int
    database: str
    warm_up_seconds: float
    sample_seconds: float
    samples: list[Sample] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)


# --- the load ----------------------------------------------------------------------------------


async def _client(run: LoadRun, slots: Iterator[int], soak: Soak, number: int) -> None:
    """Take the next due submission, wait for its moment, send it; until the run's end."""
    rng = random.Random(f"{run.run_id}-{number}")
    for serial, slot in enumerate(slots):
        due = run.start + slot / soak.rate
        if due >= run.stop_at:
            return
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif -delay > LATE_SECONDS:
            soak.lateness.append(-delay)  # every client was busy: the server is not keeping up
        connection = Connection(run.host, run.port)
        try:
            await submit_once(run, connection, rng, f"{run.run_id}-{number}-{serial}")
        finally:
            run.report.retries += connection.retries
            connection.close()


def _sample(master: int, run: LoadRun) -> Sample:
    parts = {}
    for pid in worker_pids(master):
        try:
            parts[pid] = memory_mib(pid)
        except OSError:
            continue  # exited between the listing and the reading (a restart)
    return Sample(
        round(time.monotonic() - run.start, 1),
        {pid: memory["VmRSS"] for pid, memory in parts.items()},
        memory_mib(master)["VmRSS"],
        len(run.report.sent),
        run.report.error_count,
        parts,
    )


async def _sampler(master: int, run: LoadRun, soak: Soak) -> None:
    every_print = max(1, round(60 / soak.sample_seconds))
    while time.monotonic() < run.stop_at:
        sample = _sample(master, run)
        soak.samples.append(sample)
        if (len(soak.samples) - 1) % every_print == 0:
            rss = " / ".join(f"{mib:.1f}" for mib in sample.workers.values())
            print(
                f"  {sample.at / 60:5.1f} min: {sample.acknowledged} acknowledged, {sample.errors} errors, "
                f"worker RSS {rss} MiB",
                flush=True,
            )
        await asyncio.sleep(max(0.0, min(soak.sample_seconds, run.stop_at - time.monotonic())))


async def _soak(server: ServerProcess, soak: Soak) -> LoadReport:
    report = LoadReport(clients=soak.clients, seconds=soak.minutes * 60)
    run = LoadRun("127.0.0.1", server.port, PATH, report, warm_up=0.0)
    slots = itertools.count()
    cpu_before = time.process_time()
    await asyncio.gather(
        _sampler(server.process.pid, run, soak), *(_client(run, slots, soak, n) for n in range(soak.clients))
    )
    soak.samples.append(_sample(server.process.pid, run))  # the last reading, once every client has finished
    report.client_cpu_seconds = time.process_time() - cpu_before
    report.wall_seconds = time.monotonic() - run.start
    return report


# --- memory ------------------------------------------------------------------------------------


def _slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per second."""
    mean_t = statistics.fmean(t for t, _ in points)
    mean_m = statistics.fmean(m for _, m in points)
    spread = sum((t - mean_t) ** 2 for t, _ in points)
    return sum((t - mean_t) * (m - mean_m) for t, m in points) / spread if spread else 0.0


def judge_memory(samples: list[Sample], warm_up: float) -> list[WorkerMemory]:
    """Each worker's memory after its warm-up, from the first reading that saw it."""
    series: dict[int, list[tuple[float, float, dict[str, float]]]] = {}
    for sample in samples:
        for pid, mib in sample.workers.items():
            series.setdefault(pid, []).append((sample.at, mib, sample.parts.get(pid, {})))
    workers = []
    for pid, points in series.items():
        memory = WorkerMemory(pid, points[0][0], points[-1][0], len(points), max(mib for _, mib, _ in points))
        # A worker there from the start is ~0 s old at its first reading; a replacement gets its own warm-up.
        judged = [point for point in points if point[0] >= points[0][0] + warm_up]
        if len(judged) >= MIN_SAMPLES:
            (_, memory.start_mib, first), (_, memory.end_mib, last) = judged[0], judged[-1]
            memory.growth_mib = memory.end_mib - memory.start_mib
            memory.slope_mib_per_10_min = _slope([(t, mib) for t, mib, _ in judged]) * 600
            memory.flat = memory.growth_mib < min(GROWTH_LIMIT_MIB, GROWTH_LIMIT_SHARE * memory.start_mib)
            memory.parts_growth_mib = {part: last[part] - first[part] for part in MEMORY_FIELDS[1:] if part in first}
        workers.append(memory)
    return workers


# --- around the load ---------------------------------------------------------------------------


@contextmanager
def _database(kind: str) -> Iterator[dict[str, str]]:
    """{} for SQLite in the data directory; for PostgreSQL a fresh database (bench/_databases.py)."""
    if kind == "sqlite":
        yield {}
        return
    from bench._databases import database_targets

    with database_targets(postgres=True) as targets:
        url = targets[-1].fresh_url()
        assert url is not None
        yield {"DATABASE_URL": url}


def _set_up(data_dir: Path, env: dict[str, str]) -> None:
    run_refuge(data_dir, "init", **env)
    create_organisation(
        data_dir, slug=ORGANISATION, coordinator="coord", password=os.urandom(18).hex(), name="Soak", **env
    )


def _wait_for_workers(server: ServerProcess, workers: int, timeout: float = 60.0) -> None:
    """The master answers before all its workers have booted; the load starts once they have."""
    deadline = time.monotonic() + timeout
    while len(worker_pids(server.process.pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.1)


def _verify(data_dir: Path, report: LoadReport, env: dict[str, str]) -> dict[str, Any]:
    """Every acknowledged receipt stored, nothing else, a sample intact (tests/support/load.py)."""
    sent, output = data_dir / "sent.json", data_dir / "verified.json"
    write_sent(report.sent, sent)
    command = [sys.executable, "-m", "tests.support.load", "verify", str(sent), str(output), str(VERIFY_SAMPLE)]
    completed = subprocess.run(
        command, cwd=ROOT, env=refuge_env(data_dir, PYTHONPATH=str(ROOT), **env),
        capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    if completed.returncode != 0:
        return {"failed": completed.stderr[-3000:]}
    verified: dict[str, Any] = json.loads(output.read_text())
    return verified


def run_soak(soak: Soak, output: Path, *, workers: int) -> dict[str, Any]:
    """Set up, serve, load, sample, verify; the result as written to `output`."""
    # The secrets go beside the data directory (var-secrets/): both inside one scratch directory.
    data_dir = Path(tempfile.mkdtemp(prefix="refuge-soak-")) / "var"
    data_dir.mkdir(mode=0o700)
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _database(soak.database) as env:
            _set_up(data_dir, env)
            with running_server(data_dir, workers=workers, **env) as server:
                _wait_for_workers(server, workers)
                print(f"soak: {soak.minutes:g} min at {soak.rate:g}/s, {soak.clients} clients, {soak.database}")
                report = asyncio.run(_soak(server, soak))
                server_alive = server.process.poll() is None
            log = server.log_path.read_text(errors="replace")
            shutil.copyfile(server.log_path, output.parent / "server.log")
            verified = _verify(data_dir, report, env)
    finally:
        shutil.rmtree(data_dir.parent, ignore_errors=True)
    result = _result(soak, report, judge_memory(soak.samples, soak.warm_up_seconds), verified, log, server_alive)
    output.write_text(json.dumps(result, indent=1, ensure_ascii=False))
    return result


def _result(
    soak: Soak, report: LoadReport, memory: list[WorkerMemory], verified: dict[str, Any], log: str, alive: bool
) -> dict[str, Any]:
    server_errors = len(_SERVER_ERROR.findall(log))
    scheduled = int(soak.minutes * 60 * soak.rate)
    judged = [worker for worker in memory if worker.flat is not None]
    intact = "failed" not in verified and not (
        verified["missing"] or verified["unacknowledged"] or verified["mismatched"]
    )
    intact = intact and verified["distinct_receipts"] == verified["acknowledged"] == verified["stored"]
    checks = [
        _check("zero errors", f"{report.error_count} client, {server_errors} in the server log"
               + ("" if alive else "; the server exited"), not report.error_count and not server_errors and alive),
        _check(f"load held: ≥ {LOAD_HELD:.0%} of the scheduled submissions acknowledged",
               f"{len(report.sent)} of {scheduled}", len(report.sent) >= LOAD_HELD * scheduled),
        _check(f"flat memory: every worker grows < {GROWTH_LIMIT_MIB:g} MiB and < {GROWTH_LIMIT_SHARE:.0%} after "
               "its warm-up", f"{sum(bool(w.flat) for w in judged)} of {len(judged)} judged workers flat",
               bool(judged) and all(w.flat for w in judged)),
        _check("every acknowledged submission stored, nothing else", _stored(verified), intact),
    ]  # fmt: skip
    posts = [seconds * 1000 for seconds in report.post_seconds]
    return {
        "date": _machine.now(),
        "machine": _machine.one_line(),
        **{key: value for key, value in asdict(soak).items() if key not in {"samples", "lateness"}},
        "scheduled": scheduled,
        "acknowledged": len(report.sent),
        "per_second": len(report.sent) / report.wall_seconds if report.wall_seconds else 0.0,
        "post_ms": {"median": statistics.median(posts), "p99": percentile(posts, 99)} if posts else {},
        "late_submissions": len(soak.lateness),
        "most_late_seconds": max(soak.lateness, default=0.0),
        "errors": dict(report.errors),
        "error_examples": report.examples,
        "server_log_errors": server_errors,
        "server_alive": alive,
        "retries": report.retries,
        "client_cpu_seconds": report.client_cpu_seconds,
        "workers": [asdict(worker) for worker in memory],
        # A worker replaced during the run (max_requests, or a crash) is missing from the last reading.
        "worker_restarts": sum(worker.pid not in soak.samples[-1].workers for worker in memory) if memory else 0,
        "verified": verified,
        "checks": checks,
        "passed": all(check["passed"] for check in checks),
        "samples": [asdict(sample) for sample in soak.samples],
    }


def _check(name: str, value: str, passed: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "passed": passed}


def _stored(verified: dict[str, Any]) -> str:
    if "failed" in verified:
        return "the check itself failed: " + verified["failed"].strip().splitlines()[-1]
    return (
        f"{verified['acknowledged']} acknowledged, {verified['stored']} stored, {verified['missing']} missing, "
        f"{verified['unacknowledged']} unacknowledged, {verified['opened']} opened with their receipt"
        + (f", mismatched {verified['mismatched']}" if verified["mismatched"] else "")
    )


def summary(result: dict[str, Any]) -> str:
    """The result as markdown."""
    post = result["post_ms"]
    lines = [
        f"## Soak: {result['minutes']:g} min at {result['rate']:g} submissions/s, {result['clients']} clients, "
        f"{result['database']}",
        "",
        f"{result['machine']}; {result['date']}.",
        f"{result['acknowledged']} acknowledged ({result['per_second']:.1f}/s), POST median "
        f"{post.get('median', 0):.0f} ms, p99 {post.get('p99', 0):.0f} ms; {result['late_submissions']} started more "
        f"than {LATE_SECONDS:g} s late (most {result['most_late_seconds']:.1f} s); {result['retries']} stale keep-alive retries; "
        f"{result['worker_restarts']} worker restarts. Warm-up {result['warm_up_seconds']:.0f} s, a sample every "
        f"{result['sample_seconds']:.0f} s.",
        "",
        "| worker | seen (min) | RSS after warm-up | RSS at end | growth | of which anon / file / shmem | slope "
        "| peak | flat |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for worker in result["workers"]:
        span = f"{worker['first_seen'] / 60:.1f}–{worker['last_seen'] / 60:.1f}"
        if worker["flat"] is None:
            lines.append(f"| {worker['pid']} | {span} | – | – | – | – | – | {worker['peak_mib']:.1f} MiB | not judged "
                         f"({worker['samples']} samples) |")  # fmt: skip
            continue
        lines.append(
            f"| {worker['pid']} | {span} | {worker['start_mib']:.1f} MiB | {worker['end_mib']:.1f} MiB | "
            f"{worker['growth_mib']:+.1f} MiB ({worker['growth_mib'] / worker['start_mib']:+.1%}) | "
            f"{' / '.join(f'{mib:+.1f}' for mib in worker['parts_growth_mib'].values()) or '–'} | "
            f"{worker['slope_mib_per_10_min']:+.2f} MiB/10 min | {worker['peak_mib']:.1f} MiB | "
            f"{'yes' if worker['flat'] else '**no**'} |"
        )
    lines += ["", "| check | value | result |", "|---|---|---|"]
    lines += [f"| {c['name']} | {c['value']} | {'pass' if c['passed'] else '**FAIL**'} |" for c in result["checks"]]
    for kind, count in result["errors"].items():
        lines.append(f"\n{count} × {kind}, e.g. {result['error_examples'].get(kind, [''])[0]}")
    lines += ["", f"**{'PASS' if result['passed'] else 'FAIL'}**"]
    return "\n".join(lines)


NAME = "soak"
TITLE = "Soak: a steady intake load"
TARGET = "A 30-minute soak (`make soak`) at a steady intake load shows flat memory and zero errors (issue #5)."


def run(options: BenchOptions) -> BenchResult:
    """The soak as a benchmark of bench/run.py: its section of BENCHMARKS.md."""
    minutes = float(os.environ.get("REFUGE_SOAK_MINUTES", "30"))
    soak = _soak_settings(
        minutes, float(os.environ.get("REFUGE_SOAK_RATE", "10")), 4, os.environ.get("REFUGE_SOAK_DATABASE", "sqlite")
    )
    command = f"make soak SOAK_MINUTES={minutes:g} SOAK_RATE={soak.rate:g} SOAK_DATABASE={soak.database}"
    started = time.monotonic()
    found = run_soak(soak, OUTPUT, workers=2)
    result = BenchResult(NAME, TITLE, TARGET, command, environment=_machine.one_line(), date=found["date"])
    result.checks = [Check(c["name"], c["value"], c["passed"]) for c in found["checks"]]
    if minutes < 30:
        result.checks.append(Check("the run lasted 30 minutes", f"{minutes:g} minutes", False))
    memory = []
    for worker in found["workers"]:
        if worker["flat"] is None:
            memory.append(
                Row.reading(f"worker {worker['pid']}: peak (not judged: too few samples)", worker["peak_mib"], "MiB")
            )
            continue
        memory += [
            Row.reading(f"worker {worker['pid']}: after warm-up", worker["start_mib"], "MiB"),
            Row.reading(f"worker {worker['pid']}: at the end", worker["end_mib"], "MiB"),
            Row.reading(f"worker {worker['pid']}: slope", worker["slope_mib_per_10_min"], "MiB per 10 min"),
        ]
    post = found["post_ms"]
    result.tables = [
        Table(f"Memory of each worker (VmRSS), {soak.database}", memory),
        Table(
            "The load",
            [
                Row.reading("acknowledged submissions", found["acknowledged"], "submissions"),
                Row.reading("acknowledged per second", found["per_second"], "/s"),
                Row.reading("POST → receipt page, median", post.get("median", 0.0), "ms"),
                Row.reading("POST → receipt page, p99", post.get("p99", 0.0), "ms"),
                Row.reading("worker restarts", found["worker_restarts"], ""),
            ],
        ),
    ]
    result.notes = [
        # The server is whatever `refuge serve` runs (granian unless REFUGE_SERVER says otherwise).
        f"Server: `refuge serve` as shipped ({os.environ.get('REFUGE_SERVER') or 'granian'}), 2 workers, production "
        "settings, the default flood brake.",
        f"{soak.clients} clients share a fixed rate of {soak.rate:g} submissions/s (not as fast as they can), each "
        "submission a new requester; warm-up "
        f"{soak.warm_up_seconds:.0f} s, a memory sample every {soak.sample_seconds:.0f} s. The full result, with every "
        "sample, is in var/soak/result.json.",
        "Flat: a judged worker grows by less than "
        f"{GROWTH_LIMIT_MIB:g} MiB and less than {GROWTH_LIMIT_SHARE:.0%} from its first sample after warm-up to its last.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _soak_settings(minutes: float, rate: float, clients: int, database: str) -> Soak:
    seconds = minutes * 60
    return Soak(
        minutes=minutes,
        rate=rate,
        clients=clients,
        database=database,
        warm_up_seconds=min(WARM_UP_SECONDS, WARM_UP_SHARE * seconds),
        # 15 s in a long run; often enough for a short one to have samples after its warm-up.
        sample_seconds=min(15.0, max(1.0, seconds / 40)),
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0, help="how long the load runs (default 30)")
    parser.add_argument("--rate", type=float, default=10.0, help="submissions per second (default 10)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent submitters sharing the rate (default 4)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--workers", type=int, default=2, help="server workers (default 2, as shipped)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"result file (default {OUTPUT.relative_to(ROOT)})")
    options = parser.parse_args(argv)
    soak = _soak_settings(options.minutes, options.rate, options.clients, options.database)
    result = run_soak(soak, options.output, workers=options.workers)
    print(summary(result))
    print(f"\nresult: {options.output}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
