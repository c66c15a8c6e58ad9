"""Creating keys: who can open them from the start, and who cannot."""

from __future__ import annotations

import pytest

from refuge.accounts.queries import holders_of
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import CryptoError, open_sealed, public_key_of
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.models import HolderKind, KeyWrap, Purpose
from tests.keyring.conftest import Org, Persona, audit_codes


def test_every_member_and_recovery_open_a_new_key(north: Org, alice: Persona, bob: Persona) -> None:
    key, secret = do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user, bob.user]
    )

    assert alice.keyring().secret_for(key) == secret
    assert bob.keyring().secret_for(key) == secret
    recovery = KeyWrap.objects.get(key=key, holder_kind=HolderKind.RECOVERY)
    assert open_sealed(north.recovery_private_key, bytes(recovery.wrapped)) == secret
    assert list(holders_of(key)) == [alice.user, bob.user]
    assert audit_codes() == [AuditEvent.KEY_CREATED]


def test_a_colleague_who_was_not_given_the_key_cannot_open_it(north: Org, alice: Persona, bella: Persona) -> None:
    key, _ = do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[alice.user])

    with pytest.raises(KeyNotHeld):
        bella.keyring().secret_for(key)


def test_a_member_of_another_organisation_cannot_be_given_a_key(north: Org, alice: Persona, charlie: Persona) -> None:
    with pytest.raises(UserError) as refused:
        do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[charlie.user])

    assert refused.value.code == "member_other_organisation"
    assert not KeyWrap.objects.exists()
    assert audit_codes() == []


def test_an_administrator_cannot_be_given_case_content(north: Org, alice: Persona, adam: Persona) -> None:
    with pytest.raises(UserError) as refused:
        do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[adam.user])

    assert refused.value.code == "member_no_content_role"


def test_a_locked_keyring_opens_nothing(north: Org, alice: Persona) -> None:
    key, _ = do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[alice.user])

    locked = Keyring.locked(alice.user)

    assert not locked.unlocked
    with pytest.raises(KeyNotHeld):
        locked.secret_for(key)


def test_a_deactivated_member_opens_nothing_even_with_a_wrap_left(north: Org, alice: Persona) -> None:
    key, _ = do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[alice.user])
    alice.user.is_active = False

    with pytest.raises(KeyNotHeld):
        alice.keyring().secret_for(key)


def test_a_keyring_hides_its_private_key_from_repr(alice: Persona) -> None:
    assert alice.private_key.hex() not in repr(alice.keyring())
    assert repr(alice.private_key) not in repr(alice.keyring())


def test_an_intake_group_key_is_a_keypair_whose_public_half_is_stored(north: Org, alice: Persona) -> None:
    key, private = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.INTAKE_GROUP, label="intake", members=[alice.user]
    )

    assert bytes(key.public_key) == public_key_of(private)
    assert alice.keyring().private_key_for(key) == private
    assert not KeyWrap.objects.filter(key=key, holder_kind=HolderKind.SERVER).exists()


def test_a_forged_wrap_of_a_group_key_is_detected(north: Org, alice: Persona) -> None:
    from refuge.crypto import generate_keypair, seal_for

    key, _ = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.INTAKE_GROUP, members=[alice.user]
    )
    # Anyone can seal to Alice's public key; an attacker writing the database tries to
    # make her use a group key whose private half the attacker knows.
    forged = generate_keypair().private
    KeyWrap.objects.filter(key=key, holder=alice.user).update(wrapped=seal_for(bytes(alice.user.public_key), forged))

    with pytest.raises(CryptoError):
        alice.keyring().private_key_for(key)


def test_a_blind_index_key_is_held_by_the_server_and_recovery_only(north: Org, alice: Persona) -> None:
    key, _ = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.BLIND_INDEX, label="blind-index:x"
    )

    kinds = sorted(KeyWrap.objects.filter(key=key).values_list("holder_kind", flat=True))
    assert kinds == [HolderKind.RECOVERY, HolderKind.SERVER]
    with pytest.raises(ValueError):
        do_create_key(actor=None, organisation=north.organisation, purpose=Purpose.BLIND_INDEX, members=[alice.user])


def test_a_record_key_has_no_server_wrap(north: Org, alice: Persona) -> None:
    key, _ = do_create_key(actor=alice.user, organisation=north.organisation, purpose="record", members=[alice.user])

    assert sorted(KeyWrap.objects.filter(key=key).values_list("holder_kind", flat=True)) == [
        HolderKind.RECOVERY,
        HolderKind.USER,
    ]


def test_an_actor_from_another_organisation_cannot_create_keys_there(north: Org, charlie: Persona) -> None:
    with pytest.raises(UserError) as refused:
        do_create_key(actor=charlie.user, organisation=north.organisation, purpose="record")

    assert refused.value.code == "wrong_organisation"
