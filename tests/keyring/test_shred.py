"""Crypto-shredding: once every wrap is gone, nobody can read the data again."""

from __future__ import annotations

import pytest

from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.shredding import do_shred_key
from refuge.keyring.actions.wraps import do_recover_key_with_recovery
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import Key, KeyWrap, Purpose
from refuge.keyring.queries import is_shredded
from refuge.keyring.records import encrypt_column, intake_group_key, seal_column
from tests.keyring.conftest import Org, Persona, audit_codes
from tests.keyring_testapp.models import Envelope, Note


def test_after_shredding_neither_members_nor_recovery_can_open_the_key(
    north: Org, alice: Persona, bob: Persona
) -> None:
    key, secret = do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user, bob.user]
    )
    note = Note(key=key)
    encrypt_column(note, "body", "Testimony", secret, key)
    note.save()

    do_shred_key(actor=alice.user, key=key)

    assert not KeyWrap.objects.filter(key=key).exists()
    assert is_shredded(key)
    for persona in (alice, bob):
        with pytest.raises(KeyNotHeld):
            persona.keyring().secret_for(key)
    with pytest.raises(UserError) as refused:
        do_recover_key_with_recovery(
            actor=alice.user, key=key, recovery_private_key=north.recovery_private_key, member=alice.user
        )
    assert refused.value.code == "key_shredded"
    assert audit_codes() == [AuditEvent.KEY_CREATED, AuditEvent.KEY_SHREDDED]


def test_a_key_still_referred_to_keeps_its_row(north: Org, alice: Persona) -> None:
    key, secret = do_create_key(
        actor=alice.user, organisation=north.organisation, purpose="record", members=[alice.user]
    )
    note = Note(key=key)
    encrypt_column(note, "body", "Testimony", secret, key)
    note.save()

    do_shred_key(actor=alice.user, key=key)

    assert Key.objects.filter(pk=key.pk).exists()
    assert Note.objects.filter(pk=note.pk).exists()


def test_a_key_nothing_refers_to_is_deleted(north: Org, alice: Persona) -> None:
    key, _ = do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[alice.user])

    do_shred_key(actor=alice.user, key=key)

    assert not Key.objects.filter(pk=key.pk).exists()


def test_a_shredded_group_key_takes_no_new_requests(north: Org, alice: Persona) -> None:
    key, _ = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.INTAKE_GROUP, members=[alice.user]
    )
    envelope = Envelope(group_key=key)
    seal_column(envelope, "sealed_secret", b"request key", key)
    envelope.save()

    do_shred_key(actor=alice.user, key=key)

    key.refresh_from_db()
    assert key.public_key is None
    with pytest.raises(Key.DoesNotExist):
        intake_group_key(north.organisation)
    with pytest.raises(ValueError):
        seal_column(Envelope(group_key=key), "sealed_secret", b"new request", key)


def test_another_organisation_cannot_shred_a_key(north: Org, alice: Persona, charlie: Persona) -> None:
    key, _ = do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[alice.user])

    with pytest.raises(UserError) as refused:
        do_shred_key(actor=charlie.user, key=key)

    assert refused.value.code == "wrong_organisation"
    assert KeyWrap.objects.filter(key=key).count() == 2
