"""A PostgreSQL cluster the crash suite may kill with SIGKILL and start again (tests/support/crash.py).

It is the test suite's throwaway cluster (tests/postgres.py: Debian's binaries, a fresh
directory in /tmp, the Unix socket only, fsync and synchronous_commit on), but private
to one crash test: killing the session's cluster would fail every other test running
beside it. `kill()` is what a crash does to the database server: the postmaster and
every backend, the WAL writer and the checkpointer die at once, so whatever they held
only in shared memory is gone. `restart()` starts the server on the same data
directory, which runs crash recovery from the WAL before it accepts connections.

The negative control passes UNSAFE_SETTINGS: commits are acknowledged before their WAL
is written (`synchronous_commit = off`), and the WAL writer waits as long as it may
(`wal_writer_delay`, at most 10 s), so a kill loses the last acknowledged commits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from tests.postgres import ThrowawayCluster, _unprivileged_user, find_bin_dir

# What the negative control runs with: PostgreSQL's own "faster, but a crash loses the last
# commits" setting. Test code only; Refuge never sets either (refuge/settings.py).
UNSAFE_SETTINGS = {"synchronous_commit": "off", "wal_writer_delay": "10s"}
# Every crash cluster: after a crash, PostgreSQL first flushes the whole data directory to
# disk, by default with an fsync per file (several seconds for ~600 files on a busy disk);
# syncfs flushes the file system in one call. As durable, and the restarts take a second.
CRASH_SETTINGS = {"recovery_init_sync_method": "syncfs"}
KILL_WAIT_SECONDS = 30.0


@dataclass
class CrashableCluster(ThrowawayCluster):
    """A ThrowawayCluster with kill() and restart(), for one crash test."""

    kills: int = 0
    killed_postmaster: int | None = None

    @classmethod
    def create(cls, *, unsafe: bool = False) -> CrashableCluster:
        cluster = cls(find_bin_dir(), extra_settings={**CRASH_SETTINGS, **(UNSAFE_SETTINGS if unsafe else {})})
        cluster.start()
        return cluster

    def create_database(self, name: str) -> str:
        """A new database in the cluster; its DATABASE_URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def postmaster_pid(self) -> int | None:
        """The running postmaster's pid, from postmaster.pid (None if it has none)."""
        return _lock_owner(self.data_dir / "postmaster.pid")

    def processes(self) -> list[int]:
        """The postmaster and every process it started (backends, WAL writer, checkpointer…)."""
        postmaster = self.postmaster_pid()
        if postmaster is None or not _running(postmaster):
            return []
        return [postmaster, *_children_of(postmaster)]

    def kill(self) -> list[int]:
        """SIGKILL the postmaster's whole process group at once; wait until every process is gone.

        pg_ctl starts the postmaster in a session of its own, and its children stay in
        its process group: one killpg reaches all of them in the same instant, so no
        backend or WAL writer gets to write anything after the first of them dies.
        """
        victims = self.processes()
        if not victims:
            return []
        postmaster = victims[0]
        if os.getpgid(postmaster) == postmaster:
            os.killpg(postmaster, signal.SIGKILL)
        for pid in victims:  # a process outside the group, if any, right after
            _kill(pid)
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        while any(_running(pid) for pid in victims):
            if time.monotonic() > deadline:
                raise AssertionError(f"PostgreSQL processes {victims} survived SIGKILL")
            time.sleep(0.01)
        self.killed_postmaster = postmaster
        self.kills += 1
        return victims

    def restart(self) -> None:
        """Start the killed server again: crash recovery runs before it accepts connections."""
        # A dead postmaster not yet reaped (a zombie: its parent is PID 1, which may reap
        # late) still answers kill(pid, 0), and the new postmaster would refuse to start
        # beside it. It is dead (kill() saw to that): its lock files are stale.
        dead = self.killed_postmaster
        if dead is not None and Path(f"/proc/{dead}").exists():
            for lock in (self.data_dir / "postmaster.pid", self.socket_dir / f".s.PGSQL.{self.port}.lock"):
                if _lock_owner(lock) == dead:
                    lock.unlink()
        start = ["-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "120", "start"]
        self._run(_unprivileged_user(), "pg_ctl", *start)
        self.killed_postmaster = None
        self.started = True


def _lock_owner(lock: Path) -> int | None:
    """The pid on the first line of a PostgreSQL lock file (None if there is none)."""
    try:
        return int(lock.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def _running(pid: int) -> bool:
    """True while the pid names a live process (a zombie has died and only awaits its parent)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children_of(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(entry.name))
    return children


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
