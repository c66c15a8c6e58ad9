"""Rotation: after a holder leaves, what they kept opens nothing current."""

from __future__ import annotations

import pytest

from refuge.accounts.queries import holders_of
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import CryptoError, open_sealed
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.rotation import do_rotate_key
from refuge.keyring.actions.wraps import do_revoke_key
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
from refuge.keyring.records import decrypt_column, decrypt_text, encrypt_column, open_sealed_column, seal_column
from tests.keyring.conftest import Org, Persona, audit_codes
from tests.keyring_testapp.models import Envelope, Note


def make_note(key: Key, secret: bytes, body: str, title: str | None = None) -> Note:
    note = Note(key=key)
    encrypt_column(note, "body", body, secret, key)
    if title is not None:
        encrypt_column(note, "title", title, secret, key)
    note.save()
    return note


@pytest.fixture
def team_key(north: Org, alice: Persona, bob: Persona, bella: Persona) -> tuple[Key, bytes]:
    members = [alice.user, bob.user, bella.user]
    return do_create_key(actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=members)


def test_remaining_members_read_rows_re_encrypted_under_the_new_version(
    team_key: tuple[Key, bytes], alice: Persona, bob: Persona, bella: Persona
) -> None:
    key, old_secret = team_key
    first = make_note(key, old_secret, "Moved to the safe flat", title="Tuesday")
    second = make_note(key, old_secret, "Needs a lawyer")
    do_revoke_key(actor=alice.user, key=key, member=bob.user)

    rotated = do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)

    assert rotated.version == key.version == 2
    assert not rotated.rotation_due
    new_secret = bella.keyring().secret_for(rotated)
    assert new_secret != old_secret
    first.refresh_from_db()
    second.refresh_from_db()
    assert decrypt_text(first, "body", new_secret, rotated) == "Moved to the safe flat"
    assert decrypt_text(first, "title", new_secret, rotated) == "Tuesday"
    assert decrypt_text(second, "body", alice.keyring().secret_for(rotated), rotated) == "Needs a lawyer"
    assert second.title is None
    assert list(holders_of(rotated)) == [alice.user, bella.user]
    assert audit_codes()[-1] == AuditEvent.KEY_ROTATED


def test_a_revoked_members_kept_secret_opens_nothing_after_rotation(
    team_key: tuple[Key, bytes], alice: Persona, bob: Persona
) -> None:
    key, old_secret = team_key
    note = make_note(key, old_secret, "Address: 12 Lenina")
    # Bob copied the secret before he left; the old wrap is kept too.
    kept_wrap = bytes(KeyWrap.objects.get(key=key, holder=bob.user).wrapped)
    do_revoke_key(actor=alice.user, key=key, member=bob.user)

    rotated = do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)

    note.refresh_from_db()
    assert open_sealed(bob.private_key, kept_wrap) == old_secret
    for version_claimed in (rotated, Key(pk=key.pk, organisation_id=key.organisation_id, version=1)):
        with pytest.raises(CryptoError):
            decrypt_column(note, "body", old_secret, version_claimed)
    with pytest.raises(KeyNotHeld):
        bob.keyring().secret_for(rotated)


def test_a_ciphertext_moved_to_another_row_fails_after_rotation(
    team_key: tuple[Key, bytes], alice: Persona, bob: Persona
) -> None:
    key, secret = team_key
    first = make_note(key, secret, "First")
    second = make_note(key, secret, "Second")
    rotated = do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)
    new_secret = alice.keyring().secret_for(rotated)
    first.refresh_from_db()
    second.refresh_from_db()

    second.body = first.body

    with pytest.raises(CryptoError):
        decrypt_column(second, "body", new_secret, rotated)


def test_every_wrap_is_replaced_by_one_of_the_new_version(
    north: Org, team_key: tuple[Key, bytes], alice: Persona
) -> None:
    key, _ = team_key

    rotated = do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)

    assert set(KeyWrap.objects.filter(key=key).values_list("key_version", flat=True)) == {2}
    recovery = KeyWrap.objects.get(key=key, holder_kind=HolderKind.RECOVERY)
    assert open_sealed(north.recovery_private_key, bytes(recovery.wrapped)) == alice.keyring().secret_for(rotated)


def test_a_deactivated_holder_is_not_carried_over(team_key: tuple[Key, bytes], alice: Persona, bella: Persona) -> None:
    key, _ = team_key
    bella.user.is_active = False
    bella.user.save(update_fields=["is_active"])

    rotated = do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)

    assert bella.user not in holders_of(rotated)


def test_a_rotation_that_meets_a_tampered_row_changes_nothing(team_key: tuple[Key, bytes], alice: Persona) -> None:
    key, secret = team_key
    good = make_note(key, secret, "Intact")
    bad = make_note(key, secret, "Tampered")
    Note.objects.filter(pk=bad.pk).update(body=bytes(good.body))
    wraps_before = sorted(bytes(w) for w in KeyWrap.objects.filter(key=key).values_list("wrapped", flat=True))
    codes_before = audit_codes()

    with pytest.raises(CryptoError):
        do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)

    key.refresh_from_db()
    good.refresh_from_db()
    assert key.version == 1
    assert decrypt_text(good, "body", secret, key) == "Intact"
    assert sorted(bytes(w) for w in KeyWrap.objects.filter(key=key).values_list("wrapped", flat=True)) == wraps_before
    assert audit_codes() == codes_before


def test_a_member_who_does_not_hold_the_key_cannot_rotate_it(
    team_key: tuple[Key, bytes], alice: Persona, bob: Persona
) -> None:
    key, _ = team_key
    do_revoke_key(actor=alice.user, key=key, member=bob.user)

    with pytest.raises(KeyNotHeld):
        do_rotate_key(actor=bob.user, keyring=bob.keyring(), key=key)

    key.refresh_from_db()
    assert key.version == 1
    assert key.rotation_due


def test_rotating_a_group_key_makes_a_new_keypair_and_reseals_to_it(north: Org, alice: Persona) -> None:
    key, old_private = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.INTAKE_GROUP, members=[alice.user]
    )
    envelope = Envelope(group_key=key)
    seal_column(envelope, "sealed_secret", b"request key", key)
    envelope.save()
    old_public = bytes(key.public_key)

    rotated = do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)

    envelope.refresh_from_db()
    assert bytes(rotated.public_key) != old_public
    new_private = alice.keyring().private_key_for(rotated)
    assert open_sealed_column(envelope, "sealed_secret", new_private, rotated) == b"request key"
    with pytest.raises(CryptoError):
        open_sealed_column(envelope, "sealed_secret", old_private, rotated)


def test_blind_index_keys_are_not_rotated(north: Org, alice: Persona) -> None:
    key, _ = do_create_key(
        actor=None, organisation=north.organisation, purpose=Purpose.BLIND_INDEX, label="blind-index:x"
    )

    with pytest.raises(UserError) as refused:
        do_rotate_key(actor=alice.user, keyring=alice.keyring(), key=key)

    assert refused.value.code == "key_not_rotatable"
