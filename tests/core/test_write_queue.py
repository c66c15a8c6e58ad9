"""The portal's writers queue on a lock beside the SQLite database (refuge/core/write_queue.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from refuge.core import write_queue
from refuge.core.write_queue import queued_write

# Another process asks for the lock without waiting: exit 0 if it got it, 1 if it is held.
TRY_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(1)
"""


@pytest.fixture
def database_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The lock goes beside this file, as beside a real installation's database (SQLite)."""
    database = tmp_path / "refuge.sqlite3"
    if connection.vendor == "sqlite":
        monkeypatch.setitem(connection.settings_dict, "NAME", str(database))
    monkeypatch.setattr(write_queue, "_file", None)
    return database


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_no_turn_is_taken(database_file: Path) -> None:
    if connection.vendor == "sqlite":
        return  # the tests below are SQLite's
    # PostgreSQL queues its own row-lock waiters: no lock file, no process-wide lock.
    with queued_write():
        assert write_queue._file is None
        assert not write_queue._thread_lock.locked()


def _another_process_gets_the_lock(path: Path) -> bool:
    return subprocess.run([sys.executable, "-c", TRY_LOCK, str(path)], check=False).returncode == 0


@pytest.mark.django_db(transaction=True)
def test_a_writer_holds_the_lock_beside_the_database_until_it_is_done(database_file: Path) -> None:
    if connection.vendor != "sqlite":
        return  # test_on_postgresql_no_turn_is_taken
    lock = Path(str(database_file) + "-writers.lock")
    with queued_write():
        assert lock.exists() and lock.stat().st_mode & 0o777 == 0o600
        assert not _another_process_gets_the_lock(lock)
    assert _another_process_gets_the_lock(lock)


@pytest.mark.django_db(transaction=True)
def test_a_second_writer_waits_for_the_first_without_polling(database_file: Path) -> None:
    if connection.vendor != "sqlite":
        return  # test_on_postgresql_no_turn_is_taken
    order: list[str] = []
    first_inside = threading.Event()

    def second() -> None:
        first_inside.wait()
        with queued_write():
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with queued_write():
        first_inside.set()
        time.sleep(0.2)  # the second writer is waiting now
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]


def test_inside_a_transaction_it_takes_no_turn(db: None, database_file: Path) -> None:
    # The test's own transaction is open: the write lock would come too late to queue for.
    lock = Path(str(database_file) + "-writers.lock")
    with queued_write():
        assert not lock.exists()
