"""A record key held by a group keypair (intake) and by a requester's receipt key."""

from __future__ import annotations

import pytest

from refuge.accounts.models import Role
from refuge.crypto import CryptoError, generate_keypair, open_sealed
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.rotation import do_rotate_key
from refuge.keyring.actions.shredding import do_shred_key
from refuge.keyring.actions.wraps import do_revoke_key
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
from refuge.keyring.records import decrypt_text, encrypt_column, requester_secret_for
from tests.keyring.conftest import Org, Persona, make_persona
from tests.keyring_testapp.models import Note


@pytest.fixture
def intake(north: Org) -> Persona:
    return make_persona(north, "ivan", Role.INTAKE)


@pytest.fixture
def group(north: Org, alice: Persona, intake: Persona) -> Key:
    key, _ = do_create_key(
        actor=None,
        organisation=north.organisation,
        purpose=Purpose.INTAKE_GROUP,
        label="intake",
        members=[alice.user, intake.user],
    )
    return key


def _request(north: Org, group: Key, requester_public: bytes) -> tuple[Key, Note]:
    key, secret = do_create_key(
        actor=None,
        organisation=north.organisation,
        purpose=Purpose.RECORD,
        label="request",
        groups=[group],
        requester_public_key=requester_public,
    )
    note = Note(key=key)
    encrypt_column(note, "body", "I am hiding in Nizhny Novgorod", secret, key)
    note.save()
    return key, note


def test_group_members_open_a_record_key_through_the_group(
    north: Org, group: Key, alice: Persona, intake: Persona, bob: Persona
) -> None:
    requester = generate_keypair()
    key, note = _request(north, group, requester.public)
    for persona in (alice, intake):
        assert decrypt_text(note, "body", persona.keyring().secret_for(key), key) == "I am hiding in Nizhny Novgorod"
    with pytest.raises(KeyNotHeld):
        bob.keyring().secret_for(key)


def test_the_requester_opens_it_with_their_receipt_key_and_nobody_else_can(north: Org, group: Key) -> None:
    requester = generate_keypair()
    key, note = _request(north, group, requester.public)
    secret = requester_secret_for(key, requester.private)
    assert decrypt_text(note, "body", secret, key) == "I am hiding in Nizhny Novgorod"
    with pytest.raises(CryptoError):
        requester_secret_for(key, generate_keypair().private)


def test_rotating_a_record_key_keeps_the_group_and_the_requester_as_holders(
    north: Org, group: Key, alice: Persona
) -> None:
    requester = generate_keypair()
    key, note = _request(north, group, requester.public)
    rotated = do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)
    note.refresh_from_db()
    assert rotated.version == 2
    assert decrypt_text(note, "body", alice.keyring().secret_for(rotated), rotated) == "I am hiding in Nizhny Novgorod"
    assert (
        decrypt_text(note, "body", requester_secret_for(rotated, requester.private), rotated)
        == "I am hiding in Nizhny Novgorod"
    )


def test_rotating_the_group_key_locks_out_a_departed_intake_member(
    north: Org, group: Key, alice: Persona, intake: Persona
) -> None:
    requester = generate_keypair()
    key, note = _request(north, group, requester.public)
    old_group_private = intake.keyring().private_key_for(group)
    do_revoke_key(actor=alice.user, key=group, member=intake.user)
    do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=group)
    group_wrap = KeyWrap.objects.get(key=key, holder_kind=HolderKind.GROUP)
    # The copy Ivan kept of the old group key no longer opens the request's key.
    with pytest.raises(CryptoError):
        open_sealed(old_group_private, bytes(group_wrap.wrapped))
    assert decrypt_text(note, "body", alice.keyring().secret_for(key), key) == "I am hiding in Nizhny Novgorod"
    with pytest.raises(KeyNotHeld):
        intake.keyring().secret_for(key)


def test_shredding_the_record_key_removes_the_group_and_requester_wraps(north: Org, group: Key, alice: Persona) -> None:
    requester = generate_keypair()
    key, _note = _request(north, group, requester.public)
    do_shred_key(actor=alice.user, key=key)
    assert not KeyWrap.objects.filter(key=key).exists()
    with pytest.raises(KeyNotHeld):
        requester_secret_for(key, requester.private)


def test_blind_index_keys_cannot_have_group_or_requester_holders(north: Org, group: Key) -> None:
    with pytest.raises(ValueError, match="blind-index"):
        do_create_key(
            actor=None,
            organisation=north.organisation,
            purpose=Purpose.BLIND_INDEX,
            label="blind-index:x",
            groups=[group],
        )
