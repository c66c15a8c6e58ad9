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

The turn is held through the commit, so what SQLite does in a commit waits for nobody else.
One thing it does there need not be in the turn: the WAL checkpoint (copying the pages
written to the WAL back into the database file, then two fsyncs), which a commit runs
whenever the WAL holds `CHECKPOINT_PAGES` pages not yet copied. A queued writer's commit
runs none (`PRAGMA wal_autocheckpoint=0` for the turn); after giving the turn back, the
writer looks at the WAL's own count (the `-shm` header, `_pages_not_checkpointed`) and, if
that many are waiting, runs the same checkpoint (PASSIVE: it waits for no reader or writer)
while the next writer already has its turn. Every other write keeps SQLite's automatic
checkpoint at the same threshold. Nothing is written or synced less: the same pages reach
the database file, under synchronous=FULL, outside the line of waiting writers.

PostgreSQL queues row-lock waiters itself: nothing is done there.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

_thread_lock = threading.Lock()
_file: tuple[int, int] | None = None  # (process id, descriptor): a forked child opens its own
# SQLite's own default for wal_autocheckpoint, kept for every write outside a turn.
CHECKPOINT_PAGES = 1000
# The WAL-index header at the start of the -shm file (sqlite.org/walformat.html, native byte
# order): mxFrame, the WAL's last valid frame, at byte 16; nBackfill, the frames already
# copied into the database, at byte 96 (the first field after the header's two copies).
_MX_FRAME = struct.Struct("=I")
_SHM_HEAD = 100


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
            _set_autocheckpoint(0)
            yield
        finally:
            fcntl.flock(descriptor, fcntl.LOCK_UN)
            _set_autocheckpoint(CHECKPOINT_PAGES)
    if _pages_not_checkpointed() >= CHECKPOINT_PAGES:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _set_autocheckpoint(pages: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")


def _pages_not_checkpointed() -> int:
    """Frames in the WAL not yet copied into the database, from its index (0 if there is none).

    Read without SQLite's locks: a count a moment old only moves the checkpoint by a turn.
    """
    try:
        with open(str(connection.settings_dict["NAME"]) + "-shm", "rb") as shm:
            head = shm.read(_SHM_HEAD)
    except OSError:
        return 0
    if len(head) < _SHM_HEAD:
        return 0
    (last,) = _MX_FRAME.unpack_from(head, 16)
    (copied,) = _MX_FRAME.unpack_from(head, 96)
    return max(0, last - copied)
