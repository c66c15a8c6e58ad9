"""Issue #15: `refuge backup` of many stored files in bounded memory, against `tar | zstd` of the same data.

An installation (production settings, SQLite, its own data directory) gets the demo
organisation and REFUGE_BENCH_BACKUP_MB of 10 MiB case documents (bench/_backup_child.py).
Then, each command in its own process, its peak resident memory read from the kernel
(wait4's ru_maxrss) and its wall time:

- `refuge backup --output FILE` (the snapshot, the manifest, the encryption);
- `refuge backup --verify FILE --key-file KEY` (decrypting and checking every hash);
- `refuge restore FILE --key-file KEY` into a new installation with the same secrets
  (all of it in one transaction, then read back against the manifest);
- the baseline: `tar -cf - refuge.sqlite3 | zstd -3 -T0` of the same database file.

DESIGN.md §7 asks for 10 GB; the default here is 2 GB, because the benchmark machine is
shared and a run writes about four times the size to disk. The 10 GB run is
`REFUGE_BENCH_BACKUP_MB=10240 .venv/bin/python bench/run.py backup`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import _machine
from bench._results import BenchOptions, BenchResult, Check, Row, Table
from tests.support.server import refuge_env

NAME = "backup"
TITLE = "Backup of stored files: memory and throughput against tar | zstd"
TARGET = "Peak memory of `refuge backup` (and of verify and restore) < 300 MiB, whatever the size; throughput reported against `tar | zstd -3` of the same database file."
ROOT = Path(__file__).resolve().parent.parent
REFUGE = str(Path(sys.executable).parent / "refuge")
PEAK_LIMIT_MIB = 300.0
MEGABYTES = int(os.environ.get("REFUGE_BENCH_BACKUP_MB", "2048"))


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A production-settings process on `data_dir`, with this tree's code on its path."""
    return refuge_env(data_dir, **{"PYTHONPATH": str(ROOT), **extra})


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run to completion in its own process; return its wall seconds, CPU seconds (user + system, of the
    process and its children) and peak resident MiB (wait4's ru_maxrss)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    errors = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command} failed:\n{errors}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def filled_installation(root: Path, megabytes: int) -> tuple[Path, str, Path]:
    """An installation in root/old/var (the demo organisation and `megabytes` of 10 MiB case documents),
    a backup key file and the key's public half."""
    old = root / "old" / "var"
    subprocess.run([REFUGE, "demo", "--no-serve"], env=_env(old), check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "-m", "bench._backup_child", "fill", str(megabytes)],
        env=_env(old),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    key = root / "backup.key"
    subprocess.run([REFUGE, "backup", "--new-key", str(key)], env=_env(old), check=True, capture_output=True)
    public = subprocess.run(
        [
            sys.executable,
            "-c",
            "import base64,sys; from refuge.crypto import public_key_of; "
            f"print(base64.b64encode(public_key_of(base64.b64decode(open({str(key)!r}).read()))).decode())",
        ],
        env=_env(old),
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return old, public, key


def _baseline(directory: Path, output: Path) -> float:
    """Wall seconds of `tar -cf - refuge.sqlite3 | zstd -3 -T0 -o output`."""
    started = time.monotonic()
    tar = subprocess.Popen(["tar", "-cf", "-", "-C", str(directory), "refuge.sqlite3"], stdout=subprocess.PIPE)
    zstd = subprocess.run(["zstd", "-3", "-T0", "-q", "-o", str(output)], stdin=tar.stdout, check=True)
    if tar.stdout:
        tar.stdout.close()
    if tar.wait() != 0 or zstd.returncode != 0:
        raise RuntimeError("the baseline tar | zstd failed")
    return time.monotonic() - started


def run(options: BenchOptions) -> BenchResult:
    result = BenchResult(NAME, TITLE, TARGET, options.command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="refuge-bench-backup-") as scratch:
        root = Path(scratch)
        old, public, key = filled_installation(root, MEGABYTES)
        new = root / "new" / "var"
        database = old / "refuge.sqlite3"
        size = database.stat().st_size
        backup = root / "refuge.backup"
        backup_wall, _, backup_peak = run_measured(
            [REFUGE, "backup", "--output", str(backup), "--to", public], _env(old)
        )
        verify_wall, _, verify_peak = run_measured(
            [REFUGE, "backup", "--verify", str(backup), "--key-file", str(key)], _env(old)
        )
        baseline_wall = _baseline(old, root / "baseline.tar.zst")
        baseline_size = (root / "baseline.tar.zst").stat().st_size
        shutil.copytree(root / "old" / "var-secrets", root / "new" / "var-secrets")
        subprocess.run([REFUGE, "init"], env=_env(new), check=True, capture_output=True)
        restore_wall, _, restore_peak = run_measured(
            [REFUGE, "restore", str(backup), "--key-file", str(key)], _env(new)
        )
        backup_size = backup.stat().st_size
    mib = size / 1024 / 1024
    rows = [
        Row.reading("database file (demo data + stored files)", mib, "MiB"),
        Row.reading("refuge backup: wall time", backup_wall, "s"),
        Row.reading("refuge backup: throughput", mib / backup_wall, "MiB/s"),
        Row.reading("refuge backup: peak memory (ru_maxrss)", backup_peak, "MiB"),
        Row.reading("backup file size", backup_size / 1024 / 1024, "MiB"),
        Row.reading("refuge backup --verify: wall time", verify_wall, "s"),
        Row.reading("refuge backup --verify: peak memory", verify_peak, "MiB"),
        Row.reading("refuge restore (new SQLite installation): wall time", restore_wall, "s"),
        Row.reading("refuge restore: peak memory", restore_peak, "MiB"),
        Row.reading("baseline tar piped to zstd -3 -T0: wall time", baseline_wall, "s"),
        Row.reading("baseline tar piped to zstd -3 -T0: throughput", mib / baseline_wall, "MiB/s"),
        Row.reading("baseline archive size", baseline_size / 1024 / 1024, "MiB"),
        Row.reading("refuge backup time ÷ baseline time", backup_wall / baseline_wall, "×"),
    ]
    result.tables.append(Table(f"{MEGABYTES:,} MiB of stored files on SQLite, each command in its own process", rows))
    peak = max(backup_peak, verify_peak, restore_peak)
    result.checks = [
        Check(
            f"peak memory of backup, verify and restore < {PEAK_LIMIT_MIB:.0f} MiB",
            f"backup {backup_peak:.0f} MiB, verify {verify_peak:.0f} MiB, restore {restore_peak:.0f} MiB",
            peak < PEAK_LIMIT_MIB,
        )
    ]
    result.notes += [
        _size_note(MEGABYTES),
        "Memory does not grow with the size: rows are read, encrypted and written a few MiB at a time "
        "(refuge/ops/backup/tables.py); the largest single row (a 10 MiB file) bounds it.",
        "The baseline is neither consistent while the server writes nor encrypted; the stored files are ciphertext, so zstd "
        "cannot shrink them and the two files are about the same size.",
        "Profiled (issue #15, 2026-12-07, bench/_backup_before_after.py --profile, process-time clock, 300 MiB): the backup "
        "work took 2.76 s of CPU on 706989b, about 40 % of it copying every stored byte six to seven times, and 1.91 s once the "
        "pieces were handed on unjoined (StreamEncryptor, the same format); end to end at load 14-20 the process CPU did not "
        "differ measurably (5.1 against 5.3 s for 512 MiB, 3 interleaved rounds), against 1.5 s for tar | zstd.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _size_note(megabytes: int) -> str:
    """What the run's size says against DESIGN.md's 10 GB (10,000,000,000 bytes: 9,537 MiB)."""
    if megabytes * 2**20 >= 10 * 10**9:
        return f"Size: {megabytes:,} MiB, at least DESIGN.md's 10 GB; a run writes about four times the size to disk."
    return (
        f"Size: {megabytes:,} MiB, not DESIGN.md's 10 GB: the default is smaller because a run writes about four "
        "times the size to disk. `REFUGE_BENCH_BACKUP_MB=10240 .venv/bin/python bench/run.py backup` runs the 10 GB case."
    )
