"""The machine the numbers were measured on, read from /proc and the installed software."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return None


def postgres_version() -> str | None:
    """The newest installed PostgreSQL server's version, or None if none is installed."""
    from tests.postgres import PostgresUnavailable, find_bin_dir

    try:
        bin_dir = find_bin_dir()
    except PostgresUnavailable:
        return None
    output = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False)
    # "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    match = re.search(r"\(PostgreSQL\) (\S+)", output.stdout)
    return match.group(1) if match else None


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def cores() -> int:
    return len(os.sched_getaffinity(0))


def describe() -> dict[str, str]:
    """Name → value, in the order they are shown."""
    ram = _ram_gib()
    return {
        "CPU": _cpu_model(),
        "cores available": str(cores()),
        "RAM": f"{ram:.1f} GiB" if ram is not None else "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "PostgreSQL": postgres_version() or "not installed",
    }


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(seconds: float = 5.0) -> float:
    """Fraction of all cores' time spent busy over the next `seconds` (0.0 to 1.0)."""
    busy_before, total_before = _cpu_jiffies()
    time.sleep(seconds)
    busy_after, total_after = _cpu_jiffies()
    return (busy_after - busy_before) / max(1, total_after - total_before)


def wait_until_quiet(limit: float, timeout: float) -> float:
    """Wait (up to `timeout` s) until other work leaves the CPUs at most `limit` busy; return the last reading."""
    deadline = time.monotonic() + timeout
    busy = cpu_busy()
    while busy > limit and time.monotonic() < deadline:
        print(f"  the machine is {busy:.0%} busy with other work; waiting for it to quiet down", flush=True)
        busy = cpu_busy(15.0)
    return busy


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every number."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except (OSError, IndexError):
        return "unknown"


def one_line() -> str:
    """The short form each benchmark section carries (sections can come from different runs)."""
    info = describe()
    return (
        f"{info['cores available']} cores ({info['CPU']}), {info['RAM']} RAM, Python {info['Python']}, "
        f"SQLite {info['SQLite']}; 1-minute load average {load_average()} at the start"
    )
