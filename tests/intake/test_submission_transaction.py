"""A submission does its crypto and reads first, then a short transaction of INSERTs and one audit entry."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from refuge.audit import actions as audit_actions
from refuge.audit.actions import flush_held_entries
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.submissions import do_submit_request, prepare_submission, store_submission
from refuge.intake.models import HelpRequest, RequestIndex
from refuge.intake.queries import read_answers
from refuge.keyring import records
from refuge.keyring.actions.rotation import do_rotate_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Key, Purpose
from refuge.keyring.records import intake_group_key
from tests.personas import World

ANSWERS = {
    "what_happened": "Police came to my flat in Grozny",
    "where_now": "Dagestan",
    "name": "Юрий Иванов",
    "phone": "+7 916 123-45-67",
    "document_number": "96 05 123456",
}
INDEXED = ["name", "phone", "document_number"]


def _prepare(world: World, answers: dict | None = None):  # type: ignore[no-untyped-def]
    return prepare_submission(organisation=world.north, answers=answers or ANSWERS, urgency="now", language="ru")


def test_a_submission_writes_one_audit_entry_naming_the_request(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    before = AuditEntry.objects.count()
    submitted_at = timezone.now()

    submission = do_submit_request(organisation=world.north, answers=ANSWERS, urgency="now", language="ru")

    # Held to its hour until the hour ends (docs/threat-model.md), then chained.
    assert AuditEntry.objects.count() == before
    monkeypatch.setattr(timezone, "now", lambda: submitted_at + timedelta(hours=1))
    flush_held_entries()
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert [(e.code, e.object_type, e.object_id) for e in entries] == [
        (AuditEvent.REQUEST_RECEIVED, "request", str(submission.request.pk))
    ]
    assert entries[0].actor_id is None
    assert entries[0].created_at == submitted_at.replace(minute=0, second=0, microsecond=0)
    # The record key it stands for is the request's own (docs/audit.md).
    request = HelpRequest.objects.get(pk=submission.request.pk)
    assert request.key.purpose == Purpose.RECORD


def test_preparing_reads_in_one_query_and_writes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # The keys exist since the organisation was created: nothing is made, nothing locked.
    # Patched where the submission path looks it up (records), so a call would fail the test.
    monkeypatch.setattr(records, "do_ensure_blind_index_key", _must_not_be_called)
    _prepare(world)  # the first use opens the server wraps once

    with CaptureQueriesContext(connection) as queries:
        _prepare(world)

    assert [query["sql"].split()[0].upper() for query in queries] == ["SELECT"]
    assert "FOR UPDATE" not in queries[0]["sql"].upper()


def _must_not_be_called(**_kwargs: object) -> None:
    raise AssertionError("the blind-index keys should exist already")


def test_the_transaction_holds_writes_and_two_reads_by_primary_key(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    prepared = _prepare(world)
    # As in a process's first write of the hour (later ones skip the look: refuge/audit/actions.py).
    monkeypatch.setattr(audit_actions, "_none_held_before", None)

    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        store_submission(prepared)

    # Django logs an executemany as "<n> times: <statement>".
    statements = [re.sub(r"^\d+ times: ", "", query["sql"]) for query in queries]
    verbs = [sql.split()[0].upper() for sql in statements]
    reads = [sql for sql in statements if sql.upper().startswith("SELECT")]
    # The group key is checked unchanged, and held requester entries of an ended hour are
    # looked for (to chain them first); the audit head is not even locked: the entry is held.
    assert len(reads) == 2, reads
    assert "keyring_key" in reads[0] and "audit_heldentry" in reads[1]
    assert "audit_audithead" not in " ".join(statements)
    assert set(verbs) <= {"SELECT", "INSERT", "UPDATE", "BEGIN", "SAVEPOINT", "RELEASE", "COMMIT"}, verbs
    assert verbs.count("INSERT") == 5  # key, wraps, request, indexes, held audit entry


def test_what_was_prepared_is_stored_and_opens_for_intake_and_the_requester(world: World) -> None:
    prepared = _prepare(world)
    with transaction.atomic():
        submission = store_submission(prepared)

    request = HelpRequest.objects.get(pk=submission.request.pk)
    intake = Keyring(world.ivan.user, world.ivan.private_key).secret_for(request.key)
    assert read_answers(request, intake)["name"] == "Юрий Иванов"
    access = access_by_receipt(submission.receipt)
    assert read_answers(access.request, access.secret)["where_now"] == "Dagestan"
    assert RequestIndex.objects.filter(request=request).count() == 3


def test_a_group_key_rotated_between_preparing_and_storing_is_sealed_to_again(world: World) -> None:
    prepared = _prepare(world)
    group = intake_group_key(world.north)
    alice = Keyring(world.alice.user, world.alice.private_key)
    do_rotate_key(actor=world.alice.user, keyring=alice, key=group)

    with transaction.atomic():
        submission = store_submission(prepared)

    request = HelpRequest.objects.get(pk=submission.request.pk)
    for persona in (world.alice, world.ivan):
        secret = Keyring(persona.user, persona.private_key).secret_for(request.key)
        assert read_answers(request, secret)["what_happened"] == "Police came to my flat in Grozny"


def test_a_request_nobody_stored_leaves_nothing_behind(world: World) -> None:
    before = (HelpRequest.objects.count(), Key.objects.count(), AuditEntry.objects.count())

    _prepare(world)

    assert (HelpRequest.objects.count(), Key.objects.count(), AuditEntry.objects.count()) == before
