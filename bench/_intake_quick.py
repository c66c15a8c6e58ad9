"""Quick A/B runs of the intake load, for judging a change; never writes BENCHMARKS.md.

    .venv/bin/python -m bench._intake_quick                       # both flows, 4×1 and 2×4, 64 submitters
    .venv/bin/python -m bench._intake_quick --flows encrypted --configs 4x1 --seconds 6 --rounds 3
    .venv/bin/python -m bench._intake_quick --code before=/tmp/refuge-head --code after=.
    .venv/bin/python -m bench._intake_quick --postgres
    .venv/bin/python -m bench._intake_quick --stored 100000     # as bench/intake.py: 100,000 requests there first

The full benchmark (bench/intake.py, `bench/run.py intake`) measures every configuration,
profiles and verifies; it takes minutes per database. This one only loads `refuge serve`
with the same client (tests/support/load.py) for a few seconds per run and prints one
line per run, alternating the variants round by round so that noise from other work on
the machine falls on all of them alike:

- `--flows`: encrypted (the portal) and/or baseline (bench/baseline_settings.py);
- `--configs`: server workers×threads;
- `--client`: wrk (bench/_lean_client.py) and/or python (tests/support/load.py), in turn in
  every round, e.g. `--client wrk,python` for the clients' own CPU per submission;
- `--code NAME=DIR` (repeatable): source trees to compare (e.g. `git archive HEAD | tar -x -C DIR`
  for the committed code); each runs with PYTHONPATH=DIR, so its `refuge` package is imported;
- `--env NAME=K=V` (repeatable): an environment variable for one variant's server (e.g.
  `--env slow=REFUGE_SUBMISSIONS_PER_MINUTE=3000`); variants named only here use this tree.

Each (variant, flow, database) gets its own fresh data directory and organisation, set up
once; every run of it starts a fresh server and warms it for two seconds first.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._intake_child import ORGANISATION, PATHS, TICKS, tree_cpu_seconds  # noqa: E402
from bench._lean_client import run_lean_load  # noqa: E402
from bench._login_child import worker_pids  # noqa: E402
from bench._results import percentile  # noqa: E402
from tests.support.load import run_load  # noqa: E402
from tests.support.server import run_refuge, running_server  # noqa: E402


@dataclass
class Variant:
    name: str
    code: Path
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Setup:
    data_dir: Path
    env: dict[str, str]


def _parse_config(text: str) -> tuple[int, int]:
    workers, _, threads = text.lower().partition("x")
    return int(workers), int(threads)


def _postmaster(url: str | None) -> int | None:
    """The PostgreSQL postmaster's pid, from the cluster's data directory (throwaway cluster only)."""
    if not url:
        return None
    import psycopg

    with psycopg.connect(url) as connection:
        row = connection.execute("SHOW data_directory").fetchone()
    try:
        return int((Path(str(row[0])) / "postmaster.pid").read_text().splitlines()[0]) if row else None
    except (OSError, ValueError, IndexError):
        return None


def _set_up(variant: Variant, flow: str, database_url: str | None, base: Path, stored: int = 0) -> Setup:
    if stored:
        return _set_up_stored(variant, flow, database_url, base, stored)
    data_dir = Path(tempfile.mkdtemp(prefix=f"quick-{variant.name}-{flow}-", dir=base))
    env = {"PYTHONPATH": str(variant.code), **variant.env}
    if database_url:
        env["DATABASE_URL"] = database_url
    run_refuge(data_dir, "init", **env)
    if flow == "baseline":
        env["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"
        run_refuge(data_dir, "manage", "migrate", "bench_baseline", "--no-input", **env)
    password_file = data_dir / "bench-password"
    password_file.write_text(os.urandom(18).hex() + "\n")
    run_refuge(
        data_dir, "createorg", "--name", "Bench", "--slug", ORGANISATION, "--coordinator", "coord",
        "--password-file", str(password_file), **env,
    )  # fmt: skip
    password_file.unlink()
    # The benchmark lifts the flood brake (bench/_intake_child.py SERVER_ENV) unless a variant sets it.
    env.setdefault("REFUGE_SUBMISSIONS_PER_MINUTE", "1000000")
    return Setup(data_dir, env)


def _set_up_stored(variant: Variant, flow: str, database_url: str | None, base: Path, stored: int) -> Setup:
    """As `_set_up`, with `stored` requests already there (bench/_intake_cpu.py's pre-fill, as bench/intake.py)."""
    from bench._intake_cpu import Variant as Prefilled
    from bench._intake_cpu import prepare

    prepared = prepare(Prefilled(variant.name, variant.code, baseline=flow == "baseline"), stored, base, database_url)
    env = {"PYTHONPATH": str(variant.code), **variant.env}
    if flow == "baseline":
        env["DJANGO_SETTINGS_MODULE"] = "bench.baseline_settings"
    if database_url:
        env["DATABASE_URL"] = database_url
    env.setdefault("REFUGE_SUBMISSIONS_PER_MINUTE", "1000000")
    return Setup(prepared.data_dir, env)


def _one_run(
    setup: Setup,
    flow: str,
    config: tuple[int, int],
    clients: int,
    seconds: float,
    postmaster: int | None,
    client: str = "python",
) -> dict[str, Any]:
    workers, threads = config
    path = PATHS[flow]
    load = run_lean_load if client == "wrk" else run_load
    with running_server(setup.data_dir, workers=workers, REFUGE_THREADS=str(threads), **setup.env) as server:
        warm = load(server.port, path, clients=8, seconds=2.0)
        if warm.error_count:
            raise RuntimeError(f"warm-up failed: {warm.describe_errors()}\n{server.log_path.read_text()[-2000:]}")
        master = server.process.pid

        def cpu() -> tuple[float, float]:
            database = tree_cpu_seconds(postmaster, worker_pids(postmaster)) if postmaster else 0.0
            return tree_cpu_seconds(master, worker_pids(master)), database

        before = cpu()
        report = load(server.port, path, clients=clients, seconds=seconds, warm_up=1.0)
        after = cpu()
    posts = [s * 1000 for s in report.post_seconds]
    count = max(1, len(report.sent))
    return {
        "rate": report.per_second,
        "p50": statistics.median(posts) if posts else float("nan"),
        "p99": percentile(posts, 99) if len(posts) > 1 else float("nan"),
        "get50": statistics.median(report.get_seconds) * 1000 if report.get_seconds else float("nan"),
        "server_ms": (after[0] - before[0]) * 1000 / count,
        "db_ms": (after[1] - before[1]) * 1000 / count,
        "client_ms": report.client_cpu_seconds * 1000 / count,
        "errors": report.error_count,
        "error_text": report.describe_errors() if report.error_count else "",
    }


@contextlib.contextmanager
def _databases(postgres: bool) -> Iterator[list[tuple[str, object]]]:
    if not postgres:
        yield [("sqlite", lambda: None)]
        return
    from bench._databases import database_targets

    with database_targets(postgres=True) as targets:
        yield [("postgres", targets[1].fresh_url)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flows", default="encrypted,baseline")
    parser.add_argument("--configs", default="4x1,2x4")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--client", default="python", help="wrk and/or python, comma-separated (default python)")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite")
    parser.add_argument("--code", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=KEY=VALUE")
    parser.add_argument("--stored", type=int, default=0, help="requests stored before the runs (default 0)")
    args = parser.parse_args(argv)
    os.environ.pop("DATABASE_URL", None)
    variants: dict[str, Variant] = {}
    for item in args.code:
        name, _, directory = item.partition("=")
        variants[name] = Variant(name, Path(directory).resolve())
    for item in args.env:
        name, _, assignment = item.partition("=")
        key, _, value = assignment.partition("=")
        variants.setdefault(name, Variant(name, ROOT)).env[key] = value
    if not variants:
        variants["this"] = Variant("this", ROOT)
    flows = args.flows.split(",")
    configs = [_parse_config(text) for text in args.configs.split(",")]
    base = Path(tempfile.mkdtemp(prefix="refuge-quick-"))
    loaders = args.client.split(",")
    if not set(loaders) <= {"wrk", "python"}:
        parser.error("--client takes wrk and/or python")
    results: dict[tuple[str, str, str, tuple[int, int], str], list[dict[str, Any]]] = {}
    print(f"clock ticks {TICKS}/s; {args.clients} submitters, {args.seconds:.0f} s per run", flush=True)
    try:
        with _databases(args.postgres) as databases:
            setups = {}
            for (db, fresh), variant, flow in itertools.product(databases, variants.values(), flows):
                url = fresh()  # type: ignore[operator]
                setups[(db, variant.name, flow)] = (_set_up(variant, flow, url, base, args.stored), _postmaster(url))
            for round_number in range(args.rounds):
                for (db, variant_name, flow), (setup, postmaster) in setups.items():
                    # The clients' order alternates round by round, as the benchmark's variants do.
                    order = loaders if round_number % 2 == 0 else loaders[::-1]
                    for config, loader in itertools.product(configs, order):
                        started = time.monotonic()
                        measured = _one_run(setup, flow, config, args.clients, args.seconds, postmaster, loader)
                        results.setdefault((db, variant_name, flow, config, loader), []).append(measured)
                        print(
                            f"round {round_number + 1} {db:8} {variant_name:10} {flow:9} {config[0]}x{config[1]} "
                            f"{loader:6}: "
                            f"{measured['rate']:6.1f}/s  POST p50 {measured['p50']:6.1f} ms p99 {measured['p99']:6.0f} "
                            f"ms  GET p50 {measured['get50']:5.0f} ms  CPU/sub server {measured['server_ms']:5.1f} "
                            f"db {measured['db_ms']:4.1f} client {measured['client_ms']:5.2f} ms  "
                            f"errors {measured['errors']}  ({time.monotonic() - started:.0f} s)",
                            flush=True,
                        )
                        if measured["errors"]:
                            print(measured["error_text"], flush=True)
        print("\nmedians over rounds:")
        for (db, variant_name, flow, config, loader), runs in results.items():
            rate = statistics.median(r["rate"] for r in runs)
            p50 = statistics.median(r["p50"] for r in runs)
            p99 = statistics.median(r["p99"] for r in runs)
            server = statistics.median(r["server_ms"] for r in runs)
            client = statistics.median(r["client_ms"] for r in runs)
            print(
                f"  {db:8} {variant_name:10} {flow:9} {config[0]}x{config[1]} {loader:6}: {rate:6.1f}/s  "
                f"POST p50 {p50:6.1f} ms p99 {p99:6.0f} ms  CPU per submission: server {server:5.2f} ms, "
                f"client {client:5.2f} ms  "
                f"errors {sum(r['errors'] for r in runs)}"
            )
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
