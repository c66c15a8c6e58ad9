"""Writers appending at the same time still produce one unbroken chain."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from refuge.audit import actions
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditCheckpoint, AuditEntry
from refuge.audit.verify import verify_chain
from tests.audit.helpers import ALICE, NORTH

THREADS = 4
PER_THREAD = 10


def _writer(barrier: threading.Barrier) -> None:
    # Each thread has its own database connection (Django keeps them per thread);
    # close it at the end so the test database can be flushed.
    try:
        barrier.wait()
        for _ in range(PER_THREAD):
            with transaction.atomic():
                record(
                    AuditEvent.LOGIN_SUCCEEDED,
                    actor_id=ALICE,
                    organisation_id=NORTH,
                    object_type="user",
                    object_id=ALICE,
                )
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_valid_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    # On SQLite, IMMEDIATE transactions queue writers on busy_timeout; on
    # PostgreSQL, SELECT ... FOR UPDATE on the head row does.
    monkeypatch.setattr(actions, "CHECKPOINT_EVERY", 7)
    barrier = threading.Barrier(THREADS)
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(_writer, barrier) for _ in range(THREADS)]
    for future in futures:
        future.result()  # re-raises a writer's error here

    total = THREADS * PER_THREAD
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, total + 1))
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == list(range(7, total + 1, 7))
    report = verify_chain()
    assert report.ok, [str(problem) for problem in report.problems]
    assert report.entries == total
