"""A departing caseworker loses every key at once."""

from __future__ import annotations

import pytest

from refuge.audit.events import AuditEvent
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.wraps import do_remove_member_everywhere
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.models import Key, KeyWrap, Purpose
from tests.keyring.conftest import Org, Persona, audit_codes


def test_a_departing_member_loses_every_wrap_and_their_keys_are_due_for_rotation(
    north: Org, alice: Persona, bob: Persona
) -> None:
    shared, _ = do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user, bob.user]
    )
    bobs, _ = do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[bob.user]
    )
    alices, _ = do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[alice.user]
    )

    removed = do_remove_member_everywhere(actor=alice.user, member=bob.user)

    assert removed == 2
    assert not KeyWrap.objects.filter(holder=bob.user).exists()
    for key in (shared, bobs):
        key.refresh_from_db()
        assert key.rotation_due
        with pytest.raises(KeyNotHeld):
            bob.keyring().secret_for(key)
    assert not Key.objects.get(pk=alices.pk).rotation_due
    assert audit_codes()[3:] == [AuditEvent.KEY_WRAP_REMOVED] * 2
