"""Appending to the chain: order, links, transactions, and what may be logged."""

from __future__ import annotations

import itertools
import logging

import pytest
from django.db import transaction

from refuge.audit import actions
from refuge.audit.actions import record
from refuge.audit.chain import GENESIS_HASH, entry_payload
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditCheckpoint, AuditEntry, AuditHead
from refuge.audit.verify import verify_chain
from refuge.crypto import chain_hash
from tests.audit.conftest import Append
from tests.audit.helpers import ALICE, NORTH

pytestmark = pytest.mark.django_db


def test_it_appends_entries_in_order_each_linked_to_the_one_before(append: Append) -> None:
    entries = append(3)

    stored = list(AuditEntry.objects.order_by("seq"))
    assert [entry.seq for entry in stored] == [1, 2, 3]
    assert bytes(stored[0].prev_hash) == GENESIS_HASH
    for before, after in itertools.pairwise(stored):
        assert bytes(after.prev_hash) == bytes(before.entry_hash)
    for entry in stored:
        assert bytes(entry.entry_hash) == chain_hash(bytes(entry.prev_hash), entry_payload(entry))
    head = AuditHead.objects.get()
    assert (head.seq, bytes(head.entry_hash)) == (3, entries[-1].entry_hash)


def test_it_stores_only_ids_and_codes(append: Append) -> None:
    (entry,) = append(1)

    stored = AuditEntry.objects.get(seq=entry.seq)
    assert (stored.code, stored.actor_id, stored.organisation_id) == (AuditEvent.LOGIN_SUCCEEDED, ALICE, NORTH)
    assert (stored.object_type, stored.object_id) == ("user", str(ALICE))


@pytest.mark.parametrize("object_id", ["alice@example.org", "Ivan Petrov", "x" * 65])
def test_it_refuses_anything_but_an_id_as_object_id(object_id: str) -> None:
    with transaction.atomic(), pytest.raises(ValueError, match="never personal data"):
        record(
            AuditEvent.MEMBER_CREATED, actor_id=ALICE, organisation_id=NORTH, object_type="user", object_id=object_id
        )

    assert not AuditEntry.objects.exists()


def test_it_refuses_an_object_type_that_is_not_an_identifier() -> None:
    with transaction.atomic(), pytest.raises(ValueError, match="object_type"):
        record(
            AuditEvent.MEMBER_CREATED, actor_id=ALICE, organisation_id=NORTH, object_type="Case of Ivan", object_id="1"
        )


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_record_outside_a_transaction() -> None:
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        record(AuditEvent.LOGIN_SUCCEEDED, actor_id=ALICE, organisation_id=NORTH)

    assert not AuditEntry.objects.exists()


def _act_that_fails() -> None:
    with transaction.atomic():
        record(AuditEvent.LOGIN_SUCCEEDED, actor_id=ALICE, organisation_id=NORTH)
        raise ZeroDivisionError


@pytest.mark.django_db(transaction=True)
def test_an_act_rolled_back_leaves_no_entry_and_no_gap(append: Append) -> None:
    append(1)
    with pytest.raises(ZeroDivisionError):
        _act_that_fails()
    append(1)

    assert list(AuditEntry.objects.values_list("seq", flat=True)) == [1, 2]
    assert verify_chain().ok


def test_it_signs_a_checkpoint_automatically_every_checkpoint_every_entries(
    append: Append, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(actions, "CHECKPOINT_EVERY", 5)

    append(12)

    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5, 10]
    report = verify_chain()
    assert report.ok
    assert (report.entries, report.checkpoints) == (12, 2)


def test_it_signs_nothing_automatically_over_a_tampered_chain_but_keeps_recording(
    append: Append, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(actions, "CHECKPOINT_EVERY", 5)
    append(3)
    AuditEntry.objects.filter(seq=2).update(object_id="forged")

    with caplog.at_level(logging.ERROR, logger="refuge.audit.actions"):
        append(2)

    assert AuditEntry.objects.count() == 5
    assert not AuditCheckpoint.objects.exists()
    assert "checkpoint at entry 5 not signed" in caplog.text
