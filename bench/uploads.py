"""Issue #16.9: the worst-case cost of checking uploads, per file, per submission and per burst.

bench/_uploads_child.py crafts the costliest files the limits of refuge.intake.uploads
allow (each just inside MAX_IMAGE_DECODED_BYTES, MAX_IMAGE_PIXELS and MAX_FILE_BYTES),
then each measurement runs in a fresh process, as a gunicorn worker would be:

- one file, and one submission of 5 copies of it (the request form's most), for every
  candidate: CPU seconds (user + system) and the process's peak resident memory (VmHWM);
- a burst of 8 submissions of 5 copies of the costliest file at once, one thread each,
  with the default REFUGE_UPLOAD_DECODES (1) and REFUGE_UPLOAD_WAIT_SECONDS (20): the
  issue's "8 concurrent submissions of 5 such files took 118 s of both cores and peaked
  at 1.3 GB in one worker".

docs/limits.md states the bound these numbers check: one decode at a time per process,
each at most about 2 × 128 MiB of pixels over the worker's own memory.
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
from bench._uploads_child import CANDIDATES

NAME = "uploads"
TITLE = "Worst-case cost of checking uploads"
TARGET = (
    "Bounded as docs/limits.md says: a worker's peak memory for uploads stays near one decode's "
    "(≤ 400 MiB), however many submissions arrive; the 40-megapixel 16-bit PNG is refused at once."
)
ROOT = Path(__file__).resolve().parent.parent
PEAK_LIMIT_MIB = 400.0
SUBMISSIONS = 8


def run(options: BenchOptions) -> BenchResult:
    result = BenchResult(NAME, TITLE, TARGET, options.command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="refuge-bench-uploads-") as scratch:
        directory = Path(scratch)
        _child("craft", str(directory))
        sizes: dict[str, int] = json.loads((directory / "sizes.json").read_text())
        measured = {
            name: (_measure(directory, "one", name, 1), _measure(directory, "one", name, 5)) for name in CANDIDATES
        }
        worst = max(measured, key=lambda name: measured[name][1]["peak"])
        burst = _measure(directory, "burst", worst, SUBMISSIONS)
    result.tables.append(_per_file_table(measured, sizes))
    result.tables.append(_burst_table(worst, burst))
    result.checks = _checks(measured, worst, burst)
    result.notes += [
        "CPU is user + system time of the measuring process; wall time is shown for the burst only, "
        "since the machine's other work stretches it.",
        "Every file is crafted by bench/_uploads_child.py to sit just inside the limits: a small file "
        "(repeated noisy rows, tiled noise) that decodes to the most pixels the decoded-bytes budget allows.",
        "The measurements use refuge.test_settings for Django's set-up only; the sanitiser is the production code.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _child(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "bench._uploads_child", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the uploads benchmark child failed:\n{completed.stdout}\n{completed.stderr}")


def _measure(directory: Path, command: str, name: str, count: int) -> dict[str, Any]:
    output = directory / f"{command}-{name}-{count}.json"
    _child(command, str(directory / name), str(count), str(output))
    data: dict[str, Any] = json.loads(output.read_text())
    return data


def _per_file_table(measured: dict[str, tuple[dict[str, Any], dict[str, Any]]], sizes: dict[str, int]) -> Table:
    rows = []
    for name, (single, five) in measured.items():
        label = f"{CANDIDATES[name]}, {sizes[name] / 1024:,.0f} KB: {single['outcome']}"
        rows += [
            Row.reading(f"{label}; one file, CPU", single["cpu"], "s"),
            Row.reading(f"{label}; one file, peak memory (VmHWM)", single["peak"], "MiB"),
            Row.reading(f"{label}; 5 in one submission, CPU", five["cpu"], "s"),
            Row.reading(f"{label}; 5 in one submission, peak memory (VmHWM)", five["peak"], "MiB"),
        ]
    before = max(single["rss_before"] for single, _five in measured.values())
    notes = [f"The measuring process held at most {before:.0f} MiB before it read the file (Django and the sanitiser)."]
    return Table("Per file and per submission of 5, each in a fresh process", rows, notes)


def _burst_table(worst: str, burst: dict[str, Any]) -> Table:
    outcomes = burst["outcomes"]
    rows = [
        Row.reading("CPU, all threads", burst["cpu"], "s"),
        Row.reading("wall time until the last submission was answered", burst["wall"] * 1000, "ms"),
        Row.reading("peak memory of the process (VmHWM)", burst["peak"], "MiB"),
        Row.reading("submissions accepted", float(outcomes.count("accepted")), f"of {SUBMISSIONS}"),
        Row.reading('submissions told "busy, try again"', float(outcomes.count("uploads_busy")), f"of {SUBMISSIONS}"),
    ]
    title = f"{SUBMISSIONS} submissions of 5 × {CANDIDATES[worst]} at once, in one process (1 decode slot, 20 s wait)"
    return Table(title, rows)


def _checks(
    measured: dict[str, tuple[dict[str, Any], dict[str, Any]]], worst: str, burst: dict[str, Any]
) -> list[Check]:
    refused = measured["png-rgba16-40mp-refused.png"][0]
    peak_five = measured[worst][1]["peak"]
    cpu_five = max(five["cpu"] for _single, five in measured.values())
    unexpected = [o for o in burst["outcomes"] if o not in {"accepted", "uploads_busy"}]
    return [
        Check(
            "the issue's 40 MP 16-bit RGBA PNG is refused from its header (< 0.5 s CPU, < 20 MiB over the start)",
            f"{refused['outcome']}, {refused['cpu']:.2f} s, +{refused['peak'] - refused['rss_before']:.0f} MiB",
            refused["outcome"] == "image_too_large"
            and refused["cpu"] < 0.5
            and refused["peak"] - refused["rss_before"] < 20,
        ),
        Check(
            f"worst submission of 5 files: peak < {PEAK_LIMIT_MIB:.0f} MiB",
            f"{peak_five:.0f} MiB ({CANDIDATES[worst]}); CPU at most {cpu_five:.1f} s for any 5",
            peak_five < PEAK_LIMIT_MIB,
        ),
        Check(
            f"{SUBMISSIONS} such submissions at once: peak < {PEAK_LIMIT_MIB:.0f} MiB, every one answered "
            "(accepted or busy)",
            f"{burst['peak']:.0f} MiB, {burst['cpu']:.0f} s CPU, outcomes {sorted(set(burst['outcomes']))}",
            burst["peak"] < PEAK_LIMIT_MIB and not unexpected and len(burst["outcomes"]) == SUBMISSIONS,
        ),
    ]
