"""Shares typed to rebuild the recovery key: more than any set can be is refused before any work (docs/limits.md)."""

from __future__ import annotations

import pytest

from refuge.accounts.actions.organisation import MAX_SHARE_CHARS, MAX_TYPED_SHARES, do_verify_recovery_shares
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.core.errors import UserError
from refuge.safety.actions.lockout import do_emergency_lock, do_lift_emergency_lock
from tests.personas import World

pytestmark = pytest.mark.django_db


def _too_much(world: World) -> list[list[str]]:
    shares = world.north_shares
    return [
        shares + [shares[0]] * (MAX_TYPED_SHARES + 1 - len(shares)),
        [shares[0] + " " * MAX_SHARE_CHARS, *shares[1:]],
    ]


def test_verifying_too_many_or_too_long_shares_is_refused_and_nothing_is_recorded(world: World) -> None:
    for shares in _too_much(world):
        with pytest.raises(UserError) as refused:
            do_verify_recovery_shares(organisation=world.north, shares=shares)
        assert refused.value.code == "bad_shares"
    assert not AuditEntry.objects.filter(code=AuditEvent.RECOVERY_KEY_VERIFIED).exists()
    do_verify_recovery_shares(organisation=world.north, shares=world.north_shares)
    assert AuditEntry.objects.filter(code=AuditEvent.RECOVERY_KEY_VERIFIED).exists()


def test_lifting_an_emergency_lock_refuses_the_same_shares(world: World) -> None:
    do_emergency_lock(actor=world.alice.refresh().user)
    for shares in _too_much(world):
        with pytest.raises(UserError) as refused:
            do_lift_emergency_lock(organisation=world.north, shares=shares)
        assert refused.value.code == "bad_shares"
    assert do_lift_emergency_lock(organisation=world.north, shares=world.north_shares) > 0
