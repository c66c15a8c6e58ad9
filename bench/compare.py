"""Compare benchmarks against an earlier commit, measured in one run, and record the ratios.

    .venv/bin/python bench/compare.py --against d0a9593 login casepage
    .venv/bin/python bench/compare.py --against d0a9593 --rounds 3 --postgres workspace

A restructuring must show that it cost nothing: each named benchmark is run on the earlier
commit's code and on this tree's, alternating (before, after, after, before, ...) so that the
machine's drift falls on both, with the same installed dependencies (this .venv). Every
median of every table the benchmark prints is paired with its counterpart and the ratio
after / before is written into the `regression` section of BENCHMARKS.md. A row is a
regression when its ratio exceeds NOISE (the spread two runs of the same code show here).

`intake` is compared in process (server CPU per GET and POST of a submission, bench/_intake_cpu.py),
since bench/intake.py was rewritten after the earlier commits and its tables have no counterpart
there. `--runs FOLDER` keeps each run's report and reuses those already there, so an interrupted
comparison resumes where it stopped.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run as runner  # noqa: E402
from bench._results import BenchResult, Check, Row, Table  # noqa: E402

# Two runs of the same code on this VM differ by up to ~15 % (BENCHMARKS.md intro).
NOISE = 1.2
# Submissions per round of the in-process intake comparison (as bench/intake.py's cost table).
INTAKE_SUBMISSIONS = 150
TABLE = re.compile(r"^\*\*(?P<title>.+)\*\*$")
ROW = re.compile(r"^\| (?P<name>[^|]+?) \| (?P<n>\d+) \| (?P<median>[\d.,]+) ms \|")


def export_tree(ref: str) -> tuple[str, Path]:
    """The files of commit `ref` in var/bench-compare/<sha>/ (git archive: no worktree, no checkout
    state). Kept between runs, so that its benchmarks' caches (the 100,000-case database) are too."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    into = ROOT / "var" / "bench-compare" / sha
    if not (into / "bench" / "run.py").exists():
        archive = subprocess.run(["git", "archive", "--format=tar", sha], cwd=ROOT, capture_output=True, check=True)
        with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
            tar.extractall(into, filter="data")
    return sha, into


def run_once(tree: Path, name: str, output: Path, postgres: bool) -> dict[tuple[str, str], float]:
    """Run one benchmark with `tree`'s code; its medians by (table, row). A run already written to
    `output` (by an interrupted comparison with the same --runs folder) is read, not run again."""
    if output.exists():
        print(f"    (measured earlier: {output})")
        return medians(output.read_text(encoding="utf-8"))
    command = [sys.executable, str(tree / "bench" / "run.py"), name, "--output", str(output), "--quiet-wait", "0"]
    if postgres:
        command.append("--postgres")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(command, cwd=tree, env=env, check=True)
    return medians(output.read_text(encoding="utf-8"))


def medians(markdown: str) -> dict[tuple[str, str], float]:
    found: dict[tuple[str, str], float] = {}
    title = ""
    for line in markdown.splitlines():
        if match := TABLE.match(line):
            title = match["title"]
        elif (match := ROW.match(line)) and title:
            found[(title, match["name"])] = float(match["median"].replace(",", ""))
    return found


@dataclass
class Pair:
    table: str
    measurement: str
    before: float
    after: float

    @property
    def ratio(self) -> float:
        return self.after / self.before if self.before else float("inf")


def intake_pairs(old_tree: Path, rounds: int) -> list[Pair]:
    """Intake, compared in process: bench/intake.py was rewritten since the earlier commits (issue #11),
    so its tables have no counterparts there. bench/_intake_cpu.py measures the same thing on any tree:
    server CPU per GET and POST of a submission through Django's WSGI handler (production settings,
    SQLite, nothing stored), both trees' child processes taking turns round by round."""
    from bench import _intake_cpu as cpu

    base = Path(tempfile.mkdtemp(prefix="refuge-compare-intake-"))
    try:
        sides = [cpu.Variant("before", old_tree), cpu.Variant("after", ROOT)]
        prepared = [cpu.prepare(variant, 0, base, None) for variant in sides]
        results = cpu.run_rounds(prepared, max(rounds, 3) * 2, INTAKE_SUBMISSIONS, 20)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    table = f"intake: server CPU per submission in process (median of rounds of {INTAKE_SUBMISSIONS})"
    return [
        Pair(
            table,
            f"{method} CPU",
            statistics.median(r[key] for r in results[("before", 0)]),
            statistics.median(r[key] for r in results[("after", 0)]),
        )
        for method, key in (("GET", "get_ms"), ("POST", "post_ms"))
    ]


def compare(name: str, before: list[dict], after: list[dict]) -> list[Pair]:
    """Each median measured on both sides: the median over the rounds of each side."""
    return [
        Pair(
            f"{name}: {key[0]}",
            key[1],
            statistics.median(r[key] for r in before),
            statistics.median(r[key] for r in after),
        )
        for key in before[0]
        if all(key in run for run in before + after)
    ]


# What a whole comparison names; it writes the `regression` section. A comparison of fewer
# benchmarks writes a section of its own (`regression_casepage`, ...), so that a later, narrower
# run never replaces the rows of the benchmarks it did not measure.
FULL = ["casepage", "workspace", "login", "intake"]


def section_name(names: list[str]) -> str:
    return "regression" if names == FULL else "regression_" + "_".join(names)


def render(pairs: list[Pair], sha: str, rounds: int) -> Table:
    rows = [Row(f"{p.table} · {p.measurement}", "ms", rounds, p.after, p.before, None, sha, p.ratio) for p in pairs]
    return Table(
        f"Medians on this tree, each against the same measurement on {sha} (median of {rounds} runs per side)",
        rows,
        ["The p95 column holds the median on the earlier commit; the ratio is this tree's median divided by it."],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="+", metavar="NAME", help="benchmarks to compare")
    parser.add_argument("--against", required=True, metavar="REF", help="the earlier commit")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side (default 2)")
    parser.add_argument("--postgres", action="store_true", help="also on a throwaway PostgreSQL cluster")
    parser.add_argument("--output", type=Path, default=runner.OUTPUT)
    parser.add_argument(
        "--runs",
        type=Path,
        metavar="FOLDER",
        help="keep each run's report in FOLDER and reuse those already there (resume an interrupted comparison)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    pairs: list[Pair] = []
    with tempfile.TemporaryDirectory(prefix="refuge-compare-") as scratch:
        folder = args.runs or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        sha, old_tree = export_tree(args.against)
        for name in args.names:
            if name == "intake":
                print(f"=== intake, in process, {sha} and this tree in turn")
                pairs += intake_pairs(old_tree, args.rounds)
                continue
            runs: dict[str, list[dict]] = {"before": [], "after": []}
            for number in range(args.rounds):
                # Alternate which side goes first, so neither always gets the cooler machine.
                order = [("before", old_tree), ("after", ROOT)]
                for side, tree in order if number % 2 == 0 else order[::-1]:
                    print(f"=== {name}, round {number + 1}, {side} ({sha if side == 'before' else 'this tree'})")
                    output = folder / f"{name}-{sha if side == 'before' else 'after'}-{number}.md"
                    runs[side].append(run_once(tree, name, output, args.postgres))
            pairs += compare(name, runs["before"], runs["after"])
    slower = [pair for pair in pairs if pair.ratio > NOISE]
    words = ["bench/compare.py", "--against", args.against, "--rounds", str(args.rounds)]
    result = BenchResult(
        name=section_name(args.names),
        title="No regression from the restructuring" + ("" if args.names == FULL else f": {', '.join(args.names)}"),
        target=f"Every median within {NOISE:.1f}× of the same benchmark on the earlier code, measured in the same run.",
        command=" ".join([".venv/bin/python", *words, *(["--postgres"] if args.postgres else []), *args.names]),
        tables=[render(pairs, sha, args.rounds)],
        checks=[
            Check(
                f"{', '.join(args.names)} vs {sha}: every median ≤ {NOISE:.1f}× before",
                f"{len(pairs)} medians; ratios {min(p.ratio for p in pairs):.2f}–{max(p.ratio for p in pairs):.2f}"
                if pairs
                else "nothing comparable was measured",
                bool(pairs) and not slower,
            )
        ],
        notes=[f"slower than noise: {p.table} · {p.measurement}: {p.ratio:.2f}×" for p in slower],
        environment=runner._machine.describe().get("CPU", ""),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        seconds=time.monotonic() - started,
    )
    runner.record(args.output, result, runner.discover())
    print(f"wrote {args.output}: {result.checks[0].measured}{'' if result.passed else ' (MISS)'}")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
