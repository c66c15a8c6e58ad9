"""A legal hold committed while the shred waits for the record's lock keeps the record (PostgreSQL).

On PostgreSQL a statement that waited for a row lock rechecks its conditions on the locked
row only, not in its subqueries: a shred whose "not on hold" was a subquery of its locking
statement deleted a request whose hold committed while it waited, and the acknowledged
hold with it (found by the crash suite). SQLite's IMMEDIATE transactions never interleave.
"""

from __future__ import annotations

import datetime
import threading
import time

import pytest
from django.db import connection, transaction

from refuge.intake.models import HelpRequest, RequesterStatus
from refuge.retention.actions import _shred_one, do_set_legal_hold, do_set_rule
from refuge.retention.models import LegalHold, Subject
from refuge.retention.queries import due_items
from tests.ops.backup_support import make_demo

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # pg_locks is read afresh by every statement (pg_stat_activity is kept for the transaction).
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        row = cursor.fetchone()
    return bool(row and row[0])


def test_a_hold_that_commits_while_the_shred_waits_keeps_the_request() -> None:
    demo = make_demo()
    organisation = demo.case.organisation
    request = HelpRequest.objects.filter(organisation=organisation, case__isnull=True).order_by("reference").first()
    assert request is not None
    HelpRequest.objects.filter(pk=request.pk).update(status=RequesterStatus.DECLINED)
    do_set_rule(actor=None, organisation=organisation, subject=Subject.DECLINED_REQUEST, days=10)
    today = request.last_activity_at.date() + datetime.timedelta(days=10)
    [item] = [item for item in due_items(organisation, today=today) if item.id == request.pk]
    shredded: list[int | None] = []

    def shred() -> None:
        try:
            shredded.append(_shred_one(organisation, item))
        finally:
            connection.close()

    with transaction.atomic():
        # The hold's transaction has the request locked when the shred comes for it.
        do_set_legal_hold(actor=None, record_=request, today=today)
        shredder = threading.Thread(target=shred)
        shredder.start()
        deadline = time.monotonic() + 10
        while not _waiting_for_a_lock():
            assert time.monotonic() < deadline, "the shred never waited for the request's lock"
            time.sleep(0.01)
    shredder.join(timeout=10)
    assert not shredder.is_alive()
    assert shredded == [None]
    assert HelpRequest.objects.filter(pk=request.pk).exists()
    assert LegalHold.objects.filter(request_id=request.pk).exists()
