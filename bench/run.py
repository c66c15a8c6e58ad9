"""Run the benchmarks of DESIGN.md §7 and rewrite BENCHMARKS.md with what they measured.

    .venv/bin/python bench/run.py                # all of them (what `make bench` runs)
    .venv/bin/python bench/run.py login          # one; the other sections are kept
    .venv/bin/python bench/run.py --postgres     # also on a throwaway PostgreSQL cluster

A benchmark is a module bench/<name>.py with `run(options: BenchOptions) -> BenchResult`
(bench/_results.py); modules whose names start with "_" are helpers. Each benchmark's
section of BENCHMARKS.md sits between `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`,
so running a subset replaces only those sections. Results are never typed in by hand.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ on the path; the benchmarks import bench.* and tests.*.
sys.path.insert(0, str(ROOT))

from bench import _machine  # noqa: E402
from bench._databases import URL_ENV, database_targets  # noqa: E402
from bench._results import BenchOptions, BenchResult, render_result  # noqa: E402

OUTPUT = ROOT / "BENCHMARKS.md"
SECTION = re.compile(
    r"<!-- bench:(?P<name>[a-z0-9_]+)(?: (?P<meta>\{.*?\}))? -->\n(?P<body>.*?)\n<!-- /bench:(?P=name) -->", re.S
)
GENERATED = {"summary", "machine"}
# Other work above this share of the CPUs (e.g. a test run) makes the numbers meaningless.
QUIET = 0.15

INTRO = """\
# Benchmarks

The numbers DESIGN.md §7 asks for, measured by the benchmarks in `bench/`. This file is
written by `bench/run.py`: do not edit it by hand, run it again.

- `make bench` runs every benchmark (`.venv/bin/python bench/run.py`).
- `.venv/bin/python bench/run.py login` runs one and rewrites only its section.
- `--postgres` also runs each benchmark on a throwaway PostgreSQL cluster (the harness
  of `make test-pg`); `REFUGE_BENCH_DATABASE_URL=postgres://…` uses a database you name
  instead (benchmarks create organisations in it: give it one you can throw away).
- `--iterations N` changes how many samples each benchmark takes (fewer: faster, noisier).
- Before each benchmark the runner waits (up to `--quiet-wait`, 600 s) until other work
  leaves the CPUs idle, and writes how busy they were into the section: a test run on the
  same two cores roughly doubles every time. It cannot see work that starts during a benchmark.

How to read the tables: **median** is the middle sample; **p95** / **p99** are the
95th / 99th percentiles, interpolated between samples (with 20 samples the p99 is close
to the slowest one). **Ratio** is this row's median divided by the median of the named
baseline row: 1.50× means 50 % slower than the baseline. Memory rows are one reading.
Every number comes from one run on the machine described below (2 cores, as DESIGN.md
§7 prescribes), with client and server sharing those cores; expect 10–20 % of noise
between runs. Benchmarks are not timed tests: a MISS is reported, not failed.
"""


# Benchmarks run only when named: the soak lasts 30 minutes (`make soak`).
SEPARATE = {"soak"}


def default_names(available: list[str]) -> list[str]:
    """What `bench/run.py` (and `make bench`) runs when no benchmark is named."""
    return [name for name in available if name not in SEPARATE]


def discover() -> list[str]:
    """Every bench/<name>.py that defines run() (not a helper, the runner or a settings module), in name order."""
    here = Path(__file__).resolve().parent
    return sorted(
        path.stem
        for path in here.glob("*.py")
        if not path.stem.startswith("_") and path.stem != "run" and "\ndef run(" in path.read_text(encoding="utf-8")
    )


def reproduce_command(name: str, args: argparse.Namespace) -> str:
    words = [".venv/bin/python", "bench/run.py", name]
    if args.postgres:
        words.append("--postgres")
    if args.iterations:
        words += ["--iterations", str(args.iterations)]
    prefix = f"{URL_ENV}=<url> " if os.environ.get(URL_ENV) else ""
    return prefix + " ".join(words)


def read_sections(path: Path) -> dict[str, tuple[dict[str, Any], str]]:
    """name → (metadata, body) of every benchmark section already in the file."""
    if not path.exists():
        return {}
    sections = {}
    for match in SECTION.finditer(path.read_text(encoding="utf-8")):
        if match["name"] not in GENERATED:
            sections[match["name"]] = (json.loads(match["meta"] or "{}"), match["body"])
    return sections


def _comment_json(data: dict[str, Any]) -> str:
    # "--" may not appear inside an HTML comment; \u002d is the same JSON string.
    return json.dumps(data, ensure_ascii=True).replace("--", "-\\u002d")


def write_file(path: Path, sections: dict[str, tuple[dict[str, Any], str]], order: list[str]) -> None:
    names = [name for name in order if name in sections] + [name for name in sections if name not in order]
    summary = ["## Summary", "", "| benchmark | target (DESIGN.md §7) | result | measured on |", "|---|---|---|---|"]
    for name in names:
        meta = sections[name][0]
        verdict = "PASS" if meta.get("passed") else "MISS"
        summary.append(
            f"| [{meta.get('title', name)}](#{name}) | {meta.get('target', '')} | {verdict} | {meta.get('date', '')} |"
        )
    machine = ["## Machine (latest run)", "", "| | |", "|---|---|"]
    machine += [f"| {key} | {value} |" for key, value in _machine.describe().items()]
    parts = [INTRO, _block("summary", summary), _block("machine", machine)]
    for name in names:
        meta, body = sections[name]
        parts.append(
            f'<a id="{name}"></a>\n<!-- bench:{name} {_comment_json(meta)} -->\n{body}\n<!-- /bench:{name} -->\n'
        )
    path.write_text("\n".join(parts), encoding="utf-8")


def _block(name: str, lines: list[str]) -> str:
    return f"<!-- bench:{name} -->\n" + "\n".join(lines) + f"\n<!-- /bench:{name} -->\n"


def record(path: Path, result: BenchResult, order: list[str]) -> None:
    """Replace (or add) this benchmark's section, keeping every other one."""
    sections = read_sections(path)
    meta = {"title": result.title, "target": result.target, "passed": result.passed, "date": result.date}
    sections[result.name] = (meta, "\n".join(render_result(result)).rstrip())
    write_file(path, sections, order)


def _note_busy(result: BenchResult, busy: float | None) -> None:
    """Say how busy the machine was: two cores shared with a test run halve every number."""
    if busy is None:
        result.environment += "; whether the CPUs were idle before the start was not checked"
        return
    result.environment += f"; CPUs {busy:.0%} busy with other work just before the start"
    if busy > QUIET:
        result.notes.insert(
            0,
            f"WARNING: other work kept the CPUs {busy:.0%} busy when this benchmark started: its numbers are "
            "pessimistic. Run it again on a quiet machine.",
        )


def parse_args(argv: list[str] | None, available: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run Refuge's benchmarks and rewrite BENCHMARKS.md.")
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help=f"benchmarks to run (default: all of {available} but {sorted(SEPARATE)})",
    )
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL cluster")
    parser.add_argument("--iterations", type=int, help="samples per measurement (default: each benchmark's own)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="the file to rewrite (default BENCHMARKS.md)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=600,
        metavar="SECONDS",
        help="wait up to this long for other work to leave the CPUs idle before each benchmark (default 600; 0: don't)",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(available))
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)}; there are: {', '.join(available)}")
    if args.iterations is not None and args.iterations < 2:
        parser.error("--iterations must be at least 2")
    return args


def main(argv: list[str] | None = None) -> int:
    available = discover()
    args = parse_args(argv, available)
    if args.list:
        print("\n".join(available))
        return 0
    # Only --postgres or REFUGE_BENCH_DATABASE_URL choose PostgreSQL, never a DATABASE_URL left in the shell.
    os.environ.pop("DATABASE_URL", None)
    failed = []
    with database_targets(postgres=args.postgres) as databases:
        for name in args.names or default_names(available):
            module = importlib.import_module(f"bench.{name}")
            options = BenchOptions(databases, reproduce_command(name, args), args.iterations)
            print(f"=== {name} on {', '.join(target.label for target in databases)}", flush=True)
            busy = _machine.wait_until_quiet(QUIET, args.quiet_wait) if args.quiet_wait > 0 else None
            try:
                result = module.run(options)
            except Exception:  # noqa: BLE001 - reported, and the section keeps its last good numbers
                traceback.print_exc()
                failed.append(name)
                continue
            _note_busy(result, busy)
            record(args.output, result, available)
            for check in result.checks:
                print(f"  {'pass' if check.passed else 'MISS'}  {check.requirement}: {check.measured}")
    print(f"wrote {args.output}")
    if failed:
        print(f"benchmarks that failed to run (their sections were left as they were): {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
