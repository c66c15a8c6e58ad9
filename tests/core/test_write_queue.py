"""The portal's writers queue on a lock beside the SQLite database (refuge/core/write_queue.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from unittest import mock

import pytest
from django.db import connection, transaction

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
T = TypeVar("T")


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


# --- the WAL checkpoint: after the turn, not in it ------------------------------------------------

PAGE = 4096  # SQLite's default page size, the database's (refuge/settings.py sets no other)


def _in_a_thread(work: Callable[[], T]) -> T:
    """`work` on a connection of its own (a new thread's), closed after: Django's per-thread connection."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if errors:
        raise errors[0]
    return result[0]


def _write_pages(pages: int) -> None:
    """One transaction that writes about `pages` pages: a row of most of a page each."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS pages (x BLOB)")
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "
            "INSERT INTO pages SELECT randomblob(3500) FROM n",
            [pages],
        )


def _sizes(database: Path) -> tuple[int, int]:
    """(database file, WAL file) sizes, by stat: nothing of the database is opened by the test."""
    wal = Path(str(database) + "-wal")
    return database.stat().st_size, wal.stat().st_size if wal.exists() else 0


@pytest.mark.django_db(transaction=True)
def test_a_queued_commit_leaves_the_checkpoint_to_after_its_turn(database_file: Path) -> None:
    if connection.vendor != "sqlite":
        return  # test_on_postgresql_no_turn_is_taken
    lock = Path(str(database_file) + "-writers.lock")
    _in_a_thread(lambda: _write_pages(1))  # the table, and the database file, exist
    checkpoints_held_the_turn: list[bool] = []
    real_checkpoint = write_queue.checkpoint

    def observed_checkpoint() -> tuple[int, int, int] | None:
        checkpoints_held_the_turn.append(not _another_process_gets_the_lock(lock))
        return real_checkpoint()

    def queued() -> tuple[int, int, int]:
        before, _ = _sizes(database_file)
        write_queue._commits = write_queue.COMMITS_PER_CHECKPOINT - 1  # this commit is the one due
        with mock.patch.object(write_queue, "checkpoint", observed_checkpoint):
            with queued_write():
                _write_pages(write_queue.AUTOCHECKPOINT_PAGES + 200)  # past SQLite's automatic threshold
                in_turn, _ = _sizes(database_file)  # committed, the turn still held
            after, _ = _sizes(database_file)
        return before, in_turn, after

    before, in_turn, after = _in_a_thread(queued)
    # Nothing reached the database file in the turn: its commit ran no checkpoint.
    assert in_turn == before
    # Right after the turn, the same checkpoint copied the pages into it, with the lock free for others.
    assert after >= before + write_queue.AUTOCHECKPOINT_PAGES * PAGE
    assert checkpoints_held_the_turn[0] is False
    assert write_queue._commits == 0


@pytest.mark.django_db(transaction=True)
def test_staff_writes_keep_the_automatic_checkpoint_after_a_queued_write_on_the_same_connection(
    database_file: Path,
) -> None:
    if connection.vendor != "sqlite":
        return  # test_on_postgresql_no_turn_is_taken

    def staff_after_portal() -> tuple[int, int, int]:
        with queued_write():
            _write_pages(1)
        with pytest.raises(RuntimeError), queued_write():
            raise RuntimeError("refused")  # a turn that ends in an error gives the setting back too
        before, _ = _sizes(database_file)
        _write_pages(write_queue.AUTOCHECKPOINT_PAGES + 200)  # a staff act: no turn
        after, _ = _sizes(database_file)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint")
            return before, after, cursor.fetchone()[0]

    before, after, autocheckpoint = _in_a_thread(staff_after_portal)
    assert autocheckpoint == write_queue.AUTOCHECKPOINT_PAGES
    # SQLite's own checkpoint ran in the staff act's commit: its pages are in the database file.
    assert after >= before + write_queue.AUTOCHECKPOINT_PAGES * PAGE


@pytest.mark.django_db(transaction=True)
def test_a_staff_only_write_load_keeps_the_wal_bounded(database_file: Path) -> None:
    if connection.vendor != "sqlite":
        return  # test_on_postgresql_no_turn_is_taken

    def staff_load() -> int:
        largest = 0
        for _ in range(60):  # 3,000 pages, three times SQLite's threshold
            _write_pages(50)
            largest = max(largest, _sizes(database_file)[1])
        return largest

    assert _in_a_thread(staff_load) <= 2 * write_queue.AUTOCHECKPOINT_PAGES * PAGE


@pytest.mark.django_db(transaction=True)
def test_the_wal_stays_bounded_under_a_stream_of_queued_writes(database_file: Path) -> None:
    if connection.vendor != "sqlite":
        return  # test_on_postgresql_no_turn_is_taken
    _in_a_thread(lambda: _write_pages(1))
    largest: list[int] = []
    writers, commits, pages = 4, 60, 47  # as many pages as a portal submission writes

    def writer() -> None:
        for _ in range(commits):
            with queued_write():
                _write_pages(pages)
            largest.append(_sizes(database_file)[1])
        connection.close()

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    written = writers * commits * pages * PAGE
    assert len(largest) == writers * commits
    # 11,280 pages written; the WAL was started again instead of growing with them.
    assert max(largest) < written / 2
    assert max(largest) <= (write_queue.RESTART_PAGES + 2 * write_queue.AUTOCHECKPOINT_PAGES) * PAGE


@pytest.mark.django_db(transaction=True)
def test_a_checkpoint_that_fails_is_logged_and_fails_no_write(
    database_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if connection.vendor != "sqlite":
        return  # test_on_postgresql_no_turn_is_taken

    def inside_a_transaction() -> tuple[int, int, int] | None:
        _write_pages(1)
        with transaction.atomic():
            _write_pages(1)
            return write_queue.checkpoint()  # SQLite refuses a checkpoint inside a transaction

    with caplog.at_level("ERROR", logger="refuge.core.write_queue"):
        assert _in_a_thread(inside_a_transaction) is None
    assert "the WAL checkpoint after a queued write failed" in caplog.text
