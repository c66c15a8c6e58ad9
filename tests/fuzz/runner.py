"""Run the atheris harnesses of tests/fuzz: `make fuzz`, and the bounded runs of the slow tests.

    .venv/bin/python -m tests.fuzz.runner --runs 200000            # every harness (make fuzz)
    .venv/bin/python -m tests.fuzz.runner --runs 5000 receipts     # one
    .venv/bin/python -m tests.fuzz.runner -- -max_total_time=600   # extra libFuzzer options

A harness is tests/fuzz/fuzz_<name>.py and its seeds are tests/corpus/<name>/. libFuzzer
reads the seeds, but writes the inputs it finds interesting only into its first corpus
directory, var/fuzz/<name>/corpus/, which grows from one `make fuzz` to the next; a crash,
hang (-timeout) or memory blow-up (-rss_limit_mb) is saved under var/fuzz/<name>/ as
crash-<sha1>, timeout-<sha1> or oom-<sha1>. The committed corpus is never written to.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "fuzz"
CORPUS = ROOT / "tests" / "corpus"
WORK = ROOT / "var" / "fuzz"
# Seconds one input may take (a hang is a crash) and the memory a run may use.
INPUT_TIMEOUT = 10
RSS_LIMIT_MB = 2048
_DONE = re.compile(r"Done (\d+) runs in (\d+) second")
_WRITTEN = re.compile(r"Test unit written to (\S+)")
_STAT = re.compile(r"stat::(\w+):\s+(\d+)")


def harnesses() -> list[str]:
    """The names of the harnesses: fuzz_<name>.py in tests/fuzz."""
    return sorted(path.stem.removeprefix("fuzz_") for path in HERE.glob("fuzz_*.py"))


@dataclass
class FuzzRun:
    name: str
    returncode: int
    seconds: float
    executed: int
    # What libFuzzer and the harness wrote (atheris prints a Python exception on stdout).
    output: str
    artifacts: list[Path]

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.artifacts

    @property
    def failure(self) -> str:
        """What libFuzzer said from the first sign of trouble on (the Python traceback, the artifact)."""
        starts = [self.output.find(mark) for mark in ("=== Uncaught Python exception", "ERROR: libFuzzer")]
        start = min((found for found in starts if found >= 0), default=max(0, len(self.output) - 4000))
        return self.output[start : start + 6000]

    @property
    def per_second(self) -> float:
        return self.executed / self.seconds if self.seconds else 0.0


def run_fuzzer(
    name: str,
    *,
    runs: int,
    work: Path,
    artifacts: Path,
    seed: int | None = None,
    extra: list[str] | None = None,
    timeout: float | None = None,
) -> FuzzRun:
    """Run one harness for `runs` inputs from its seeds; what it found is in `artifacts`."""
    work.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        str(HERE / f"fuzz_{name}.py"),
        f"-runs={runs}",
        f"-timeout={INPUT_TIMEOUT}",
        f"-rss_limit_mb={RSS_LIMIT_MB}",
        f"-artifact_prefix={artifacts}/",
        "-print_final_stats=1",
        *([f"-seed={seed}"] if seed is not None else []),
        *(extra or []),
        str(work),  # libFuzzer writes new inputs into the first directory only
        str(CORPUS / name),
    ]
    started = time.monotonic()
    result = subprocess.run(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, cwd=ROOT, env=_env()
    )
    seconds = time.monotonic() - started
    stats = {key: int(value) for key, value in _STAT.findall(result.stdout)}
    done = _DONE.search(result.stdout)
    executed = stats.get("number_of_executed_units", int(done.group(1)) if done else 0)
    found = sorted({Path(path) for path in _WRITTEN.findall(result.stdout)})
    return FuzzRun(name, result.returncode, seconds, executed, result.stdout, found)


def _env() -> dict[str, str]:
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": python_path}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200_000, help="inputs per harness (default 200000)")
    parser.add_argument("names", nargs="*", help=f"harnesses to run (default all: {', '.join(harnesses())})")
    # What follows `--` goes to libFuzzer as it is.
    split = argv.index("--") if "--" in argv else len(argv)
    options, extra = parser.parse_args(argv[:split]), argv[split + 1 :]
    unknown = set(options.names) - set(harnesses())
    if unknown:
        parser.error(f"no harness named {', '.join(sorted(unknown))}")
    results = []
    for name in options.names or harnesses():
        sys.stdout.write(f"=== fuzz {name}: {options.runs} runs, artifacts in {WORK / name}/\n")
        sys.stdout.flush()
        run = run_fuzzer(name, runs=options.runs, work=WORK / name / "corpus", artifacts=WORK / name, extra=extra)
        if not run.ok:
            sys.stderr.write(run.failure + "\n")
        results.append(run)
    sys.stdout.write("\n| harness | runs | seconds | runs/s | result |\n|---|---:|---:|---:|---|\n")
    for run in results:
        outcome = "ok" if run.ok else f"**FAILED** (exit {run.returncode}; {', '.join(map(str, run.artifacts))})"
        sys.stdout.write(f"| {run.name} | {run.executed} | {run.seconds:.0f} | {run.per_second:.0f} | {outcome} |\n")
    return 0 if all(run.ok for run in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
