"""Nothing lost: the organisation recovery key reopens a key when the whole team is gone."""

from __future__ import annotations

import pytest

from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import generate_keypair
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.wraps import do_recover_key_with_recovery, do_remove_member_everywhere
from refuge.keyring.models import Key, KeyWrap, Purpose
from tests.keyring.conftest import Org, Persona, audit_codes


@pytest.fixture
def orphaned_key(north: Org, alice: Persona, bob: Persona) -> tuple[Key, bytes]:
    """A key whose only holder, Bob, has left."""
    key, secret = do_create_key(
        actor=alice.user, organisation=north.organisation, purpose=Purpose.RECORD, members=[bob.user]
    )
    do_remove_member_everywhere(actor=alice.user, member=bob.user)
    return key, secret


def test_the_rebuilt_recovery_key_gives_an_orphaned_key_to_a_member(
    north: Org, orphaned_key: tuple[Key, bytes], alice: Persona, bella: Persona
) -> None:
    key, secret = orphaned_key

    do_recover_key_with_recovery(
        actor=alice.user, key=key, recovery_private_key=north.recovery_private_key, member=bella.user
    )

    assert bella.keyring().secret_for(key) == secret
    assert audit_codes()[-1] == AuditEvent.KEY_WRAPPED_FOR_MEMBER


def test_a_wrong_recovery_key_is_named_as_such(orphaned_key: tuple[Key, bytes], alice: Persona, bella: Persona) -> None:
    key, _ = orphaned_key

    with pytest.raises(UserError) as refused:
        do_recover_key_with_recovery(
            actor=alice.user, key=key, recovery_private_key=generate_keypair().private, member=bella.user
        )

    assert refused.value.code == "recovery_key_mismatch"
    assert not KeyWrap.objects.filter(key=key, holder=bella.user).exists()


def test_recovery_cannot_hand_a_key_to_another_organisation(
    north: Org, orphaned_key: tuple[Key, bytes], alice: Persona, charlie: Persona
) -> None:
    key, _ = orphaned_key

    with pytest.raises(UserError) as refused:
        do_recover_key_with_recovery(
            actor=alice.user, key=key, recovery_private_key=north.recovery_private_key, member=charlie.user
        )

    assert refused.value.code == "member_other_organisation"
