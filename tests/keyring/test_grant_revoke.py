"""Giving a key to a colleague and taking it back."""

from __future__ import annotations

import pytest

from refuge.accounts.queries import holders_of
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.wraps import do_grant_key, do_revoke_key
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import Key, KeyWrap, Purpose
from refuge.keyring.queries import keys_due_for_rotation
from tests.keyring.conftest import Org, Persona, audit_codes


@pytest.fixture
def case_key(north: Org, alice: Persona, bob: Persona) -> tuple[Key, bytes]:
    return do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user, bob.user]
    )


def test_a_granted_colleague_can_open_the_key(case_key: tuple[Key, bytes], alice: Persona, bella: Persona) -> None:
    key, secret = case_key

    do_grant_key(actor=alice.user, keyring=alice.keyring(), key=key, member=bella.user)

    assert bella.keyring().secret_for(key) == secret
    assert audit_codes() == [AuditEvent.KEY_CREATED, AuditEvent.KEY_WRAPPED_FOR_MEMBER]


def test_a_member_of_another_organisation_is_refused(
    case_key: tuple[Key, bytes], alice: Persona, charlie: Persona
) -> None:
    key, _ = case_key

    with pytest.raises(UserError) as refused:
        do_grant_key(actor=alice.user, keyring=alice.keyring(), key=key, member=charlie.user)

    assert refused.value.code == "member_other_organisation"
    assert not KeyWrap.objects.filter(holder=charlie.user).exists()
    assert audit_codes() == [AuditEvent.KEY_CREATED]


def test_an_inactive_member_is_refused(case_key: tuple[Key, bytes], alice: Persona, bella: Persona) -> None:
    key, _ = case_key
    bella.user.is_active = False
    bella.user.save(update_fields=["is_active"])

    with pytest.raises(UserError) as refused:
        do_grant_key(actor=alice.user, keyring=alice.keyring(), key=key, member=bella.user)

    assert refused.value.code == "member_inactive"


def test_only_a_holder_can_grant(case_key: tuple[Key, bytes], bella: Persona, bob: Persona) -> None:
    key, _ = case_key
    KeyWrap.objects.filter(holder=bob.user).delete()

    with pytest.raises(KeyNotHeld):
        do_grant_key(actor=bella.user, keyring=bella.keyring(), key=key, member=bob.user)

    assert not KeyWrap.objects.filter(holder__in=[bella.user, bob.user]).exists()


def test_nobody_can_grant_with_someone_elses_keyring(
    case_key: tuple[Key, bytes], alice: Persona, bob: Persona, bella: Persona
) -> None:
    key, _ = case_key

    with pytest.raises(ValueError):
        do_grant_key(actor=bob.user, keyring=alice.keyring(), key=key, member=bella.user)


def test_a_revoked_member_cannot_open_the_key_and_it_is_due_for_rotation(
    north: Org, case_key: tuple[Key, bytes], alice: Persona, bob: Persona
) -> None:
    key, _ = case_key

    do_revoke_key(actor=alice.user, key=key, member=bob.user)

    with pytest.raises(KeyNotHeld):
        bob.keyring().secret_for(key)
    assert key.rotation_due
    assert list(keys_due_for_rotation(north.organisation)) == [key]
    assert list(holders_of(key)) == [alice.user]
    assert audit_codes() == [AuditEvent.KEY_CREATED, AuditEvent.KEY_WRAP_REMOVED]


def test_revoking_someone_who_holds_nothing_is_a_clear_error(
    case_key: tuple[Key, bytes], alice: Persona, bella: Persona
) -> None:
    key, _ = case_key

    with pytest.raises(UserError) as refused:
        do_revoke_key(actor=alice.user, key=key, member=bella.user)

    assert refused.value.code == "key_not_held"
    key.refresh_from_db()
    assert not key.rotation_due
    assert audit_codes() == [AuditEvent.KEY_CREATED]
