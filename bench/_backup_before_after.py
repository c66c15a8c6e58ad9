"""`refuge backup` on an earlier commit's code and on this tree's, interleaved, with `tar | zstd` in every round.

    .venv/bin/python bench/_backup_before_after.py --against 706989b --megabytes 1024 --rounds 3
    .venv/bin/python bench/_backup_before_after.py --profile --megabytes 512   # cProfile of both sides' backup

One installation is filled once (bench/backup.py's set-up: the demo organisation and 10 MiB
case documents, production settings, SQLite). Each round then runs, in this order rotated
by one per round so that drift falls on all three: the earlier commit's `refuge backup`, this
tree's, and the baseline `tar -cf - refuge.sqlite3 | zstd -3 -T0`; each in its own process, its
wall time and peak resident memory (wait4's ru_maxrss) taken. Every backup written is checked
with this tree's `refuge backup --verify` (the format did not change). Prints a markdown table
of medians; writes nothing else.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.backup import REFUGE, _env, filled_installation, run_measured  # noqa: E402
from bench.compare import export_tree  # noqa: E402


def _backup_with(tree: Path, data: Path, output: Path, public: str) -> tuple[float, float, float]:
    """`refuge backup` run with `tree`'s code (its refuge package first on the path)."""
    env = _env(data) | {"PYTHONPATH": str(tree)}
    command = [sys.executable, "-c", "from refuge.cli import main; main()", "backup", "--output", str(output)]
    return run_measured([*command, "--to", public], env)


def _baseline_timed(data: Path, output: Path) -> tuple[float, float, float]:
    """The baseline through a shell, so that wait4 counts tar's and zstd's CPU time."""
    command = ["sh", "-c", f"tar -cf - -C {data} refuge.sqlite3 | zstd -3 -T0 -q -f -o {output}"]
    return run_measured(command, dict(os.environ))


def _code_of(tree: Path, data: Path) -> str:
    env = _env(data) | {"PYTHONPATH": str(tree)}
    probe = [sys.executable, "-c", "import refuge; print(refuge.__file__)"]
    return subprocess.run(probe, env=env, cwd=tree, check=True, capture_output=True, text=True).stdout.strip()


PROFILE = """
import base64, cProfile, pstats, sys
import django
django.setup()
from refuge.ops.backup.make import write_backup_file
import time
profiler = cProfile.Profile(time.process_time)
profiler.enable()
write_backup_file(__import__("pathlib").Path(sys.argv[1]), extra_recipients=[base64.b64decode(sys.argv[2])])
profiler.disable()
pstats.Stats(profiler).sort_stats("tottime").print_stats(18)
"""


def _profile(tree: Path, data: Path, public: str, output: Path) -> None:
    """cProfile of one backup with `tree`'s code, the 18 functions that took longest themselves."""
    env = _env(data) | {"PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", PROFILE, str(output), public], env=env, cwd=tree, check=True)
    output.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", default="706989b")
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile one backup on each side instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="refuge-bench-backup-ab-") as scratch:
        root = Path(scratch)
        data, public, key = filled_installation(root, args.megabytes)
        size = (data / "refuge.sqlite3").stat().st_size / 1024 / 1024
        sha, before_tree = export_tree(args.against)
        if args.profile:
            for tree in (before_tree, ROOT):
                print(f"== {tree}", flush=True)
                _profile(tree, data, public, root / "profiled.backup")
            return 0
        trees = {"before": before_tree, "after": ROOT}
        for side, tree in trees.items():
            print(f"{side}: {_code_of(tree, data)}", file=sys.stderr)
        times: dict[str, list[float]] = {"before": [], "after": [], "baseline": []}
        cpus: dict[str, list[float]] = {"before": [], "after": [], "baseline": []}
        peaks: dict[str, list[float]] = {"before": [], "after": [], "baseline": []}
        order = ["before", "after", "baseline"]
        for round_ in range(args.rounds):
            for side in order[round_ % 3 :] + order[: round_ % 3]:
                output = root / f"{side}.backup"
                if side == "baseline":
                    wall, cpu, peak = _baseline_timed(data, root / "baseline.tar.zst")
                else:
                    wall, cpu, peak = _backup_with(trees[side], data, output, public)
                    verify = [REFUGE, "backup", "--verify", str(output), "--key-file", str(key)]
                    subprocess.run(verify, env=_env(data), check=True, capture_output=True)
                    output.unlink()
                times[side].append(wall)
                cpus[side].append(cpu)
                peaks[side].append(peak)
                print(
                    f"round {round_ + 1} {side}: {wall:.1f} s, CPU {cpu:.1f} s, {size / wall:.1f} MiB/s",
                    file=sys.stderr,
                )
        shutil.rmtree(root / "old", ignore_errors=True)
    print(f"{size:,.0f} MiB database file, {args.rounds} rounds interleaved, medians (`{sha}` = before):\n")
    print(
        "| run | wall time | throughput | CPU time (user + system) | MiB per CPU second | peak memory | wall vs tar piped to zstd |"
    )
    print("|---|---|---|---|---|---|---|")
    base = statistics.median(times["baseline"])
    labels = (
        ("before", f"refuge backup, {sha}"),
        ("after", "refuge backup, this tree"),
        ("baseline", "tar -cf - piped to zstd -3 -T0"),
    )
    for side, label in labels:
        wall, cpu = statistics.median(times[side]), statistics.median(cpus[side])
        peak = f"{max(peaks[side]):.0f} MiB" if side != "baseline" else "–"
        print(
            f"| {label} | {wall:.1f} s | {size / wall:.1f} MiB/s | {cpu:.1f} s | {size / cpu:.1f} | {peak} "
            f"| {wall / base:.2f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
