"""Writers that queue instead of polling, so SQLite's slowest submission follows its throughput.

SQLite lets one transaction write at a time. A writer that finds the lock taken sleeps in
SQLite's busy handler (1, 2, 5, 10, … up to 100 ms between tries) and tries again, so
whoever happens to try just after a commit wins: under 64 submitters most waited a few
milliseconds and some waited a second (BENCHMARKS.md, intake: POST p99 444–1,157 ms for
a transaction of a few milliseconds). `queued_write()` puts the portal's writers in a queue
in front of that: a lock taken before the transaction begins and given back after it
commits, blocking (no polling), held across the app's processes by `flock` on a file beside
the database, and inside a process by a thread lock (a flock is held by a process, not a
thread). A woken writer then finds SQLite's lock free; staff acts, the scheduler and the
commands still meet SQLite's own lock and its busy handler, as before.

The turn is held through the commit, so whatever SQLite does in a commit makes every other
writer wait. One thing it does there need not be in the turn: the WAL checkpoint (copying the
pages written to the WAL back into the database file, with an fsync of each), which SQLite
runs in the commit that takes the WAL past `AUTOCHECKPOINT_PAGES` pages not yet copied: every
~20 submissions, 65–280 ms under load against a few ms for a turn without it. A queued
writer's connection runs with `wal_autocheckpoint` off for its turn; after giving the turn
back, every `COMMITS_PER_CHECKPOINT`-th queued commit of the process runs the same checkpoint
(`PRAGMA wal_checkpoint(PASSIVE)`, which waits for no writer or reader: it copies what no
reader still needs) through the same connection, outside any transaction, while the next
writer already has its turn. Each process counts only its own commits, so across processes one
checkpoint still comes every ~`COMMITS_PER_CHECKPOINT` commits. The same pages reach the
database file, synced (synchronous=FULL), and a checkpoint cut short by a crash is done again
from the WAL at the next start, as SQLite's own is; the WAL file gets longer under load
(`_checkpoint_after_turn`). Every other write (staff acts,
the scheduler, the commands) keeps SQLite's automatic checkpoint, so the WAL is copied back
even when no portal writes come. Nothing here opens any of the database's files: closing a
descriptor of a file drops every POSIX lock the process holds on it, SQLite's included
(sqlite.org/howtocorrupt.html, 2.2), which is how reading the WAL index by hand once corrupted
the database (681f5f5, reverted in 8590f9f).

PostgreSQL queues row-lock waiters itself: nothing is done there.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import DatabaseError, connection

logger = logging.getLogger(__name__)
_thread_lock = threading.Lock()
_file: tuple[int, int] | None = None  # (process id, descriptor): a forked child opens its own
# SQLite's own default for wal_autocheckpoint, which every write outside a turn keeps.
AUTOCHECKPOINT_PAGES = 1000
# A portal submission writes ~39 WAL pages (a fresh key, three wraps, the request and its
# indexes; docs/architecture.md counts them by b-tree), so 20 of them are about 800 pages,
# below the automatic checkpoint's 1,000.
COMMITS_PER_CHECKPOINT = 20
# The WAL's length (pages since it last started again) past which the checkpoint after a turn
# makes sure it can start again (_checkpoint_after_turn): at 4 KiB pages an 8 MiB WAL file.
RESTART_PAGES = 2 * AUTOCHECKPOINT_PAGES
_commits = 0  # queued commits of this process since it last ran a checkpoint (under _thread_lock)


def _lock_descriptor() -> int:
    """This process's descriptor of the queue's lock file (beside the SQLite database)."""
    global _file
    if _file is None or _file[0] != os.getpid():
        path = Path(str(connection.settings_dict["NAME"]) + "-writers.lock")
        # Empty and never written: only its lock matters. 0o600, like the database beside it.
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        _file = (os.getpid(), descriptor)
    return _file[1]


def _in_memory() -> bool:
    name = str(connection.settings_dict["NAME"])
    return name == ":memory:" or "mode=memory" in name


@contextmanager
def queued_write() -> Iterator[None]:
    """Wait in line for the database's write lock (SQLite); around a short write transaction.

    Use it outside `transaction.atomic()`, so the turn is held from before BEGIN to after
    COMMIT, and only around transactions that do nothing slow: every other writer of the
    portal waits for the holder.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block or _in_memory():
        # Nested in a transaction that already writes, the turn would come too late to matter;
        # an in-memory database (tests) has one connection and no file to put a lock beside.
        yield
        return
    _set_autocheckpoint(0)  # this connection's commits in the turn run no checkpoint
    try:
        with _turn():
            yield
            checkpoint_due = _count_commit()
    finally:
        _set_autocheckpoint(AUTOCHECKPOINT_PAGES)
    if checkpoint_due:
        _checkpoint_after_turn()


@contextmanager
def _turn() -> Iterator[None]:
    """This thread's turn: first among the process's threads, then among the processes."""
    with _thread_lock:
        descriptor = _lock_descriptor()
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)


def _checkpoint_after_turn() -> None:
    """The checkpoint outside the turn; in a turn of its own when the WAL has grown too long.

    A checkpoint outside the turn runs while the next writers commit, so it seldom leaves the
    WAL fully copied; and SQLite starts the WAL again from its beginning only when a writer
    begins with every page copied. Without a checkpoint in a turn the WAL file grew by every
    submission's pages for as long as the writers kept coming (26 MiB in 160 submissions,
    against 4 MiB with the checkpoint in the commit). So once the WAL holds `RESTART_PAGES`
    pages, a second checkpoint runs in a turn: it copies what was committed while the first
    ran and leaves the WAL fully copied for the next writer, which starts it again.
    """
    copied = checkpoint()
    if copied is None or copied[1] < RESTART_PAGES:
        return
    with _turn():
        checkpoint()


def _set_autocheckpoint(pages: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")


def _count_commit() -> bool:
    """Count a queued commit of this process (under the thread lock); True on every Nth."""
    global _commits
    _commits += 1
    if _commits < COMMITS_PER_CHECKPOINT:
        return False
    _commits = 0
    return True


def checkpoint() -> tuple[int, int, int] | None:
    """Copy the WAL's pages into the database file, as far as no reader still needs them.

    PASSIVE: it waits for no writer or reader and returns at once if another connection is
    checkpointing. Returns SQLite's (busy, pages in the WAL, pages copied), or None if it failed:
    the commit before it is done and answered for, and the next checkpoint (or any staff
    write's automatic one) copies what this one did not.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
            busy, pages, copied = cursor.fetchone()
    except DatabaseError:
        logger.exception("the WAL checkpoint after a queued write failed")
        return None
    return int(busy), int(pages), int(copied)
