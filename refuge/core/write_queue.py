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

PostgreSQL queues row-lock waiters itself: nothing is done there.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

_thread_lock = threading.Lock()
_file: tuple[int, int] | None = None  # (process id, descriptor): a forked child opens its own


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
    with _thread_lock:
        descriptor = _lock_descriptor()
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
