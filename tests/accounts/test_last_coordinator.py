"""One administrator cannot lock the organisation out: coordinators are guarded."""

from __future__ import annotations

import pytest
from django.test import Client

from refuge.accounts.actions.members import do_deactivate_member
from refuge.accounts.models import Role, User
from refuge.audit.models import AuditEntry
from refuge.core.errors import UserError
from refuge.keyring.models import KeyWrap
from tests.personas import World, log_in, make_member


def _client(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


def test_an_administrator_cannot_deactivate_a_coordinator(world: World) -> None:
    adam = _client(world.adam)
    page = adam.get("/members/").content.decode()
    assert "Only a coordinator can deactivate a coordinator." in page
    assert f"/members/{world.alice.user.pk}/deactivate/" not in page
    wraps = KeyWrap.objects.filter(holder=world.alice.user).count()
    entries = AuditEntry.objects.count()
    response = adam.post(f"/members/{world.alice.user.pk}/deactivate/", follow=True)
    assert "Only a coordinator can deactivate a coordinator." in response.content.decode()
    assert world.alice.refresh().user.is_active
    assert KeyWrap.objects.filter(holder=world.alice.user).count() == wraps
    assert AuditEntry.objects.count() == entries


def test_a_coordinator_deactivates_another_coordinator(world: World) -> None:
    carol = make_member(world.north, "carol", Role.COORDINATOR)
    alice = _client(world.alice)
    assert alice.post(f"/members/{carol.user.pk}/deactivate/").status_code == 302
    assert not carol.refresh().user.is_active


def test_the_last_active_coordinator_cannot_be_deactivated(world: World) -> None:
    # Two coordinators deactivating each other at once: the second finds itself the last.
    carol = make_member(world.north, "carol", Role.COORDINATOR)
    User.objects.filter(pk=world.alice.user.pk).update(is_active=False)
    alice = world.alice.refresh().user
    entries = AuditEntry.objects.count()
    with pytest.raises(UserError) as refused:
        do_deactivate_member(actor=alice, member=carol.user)
    assert refused.value.code == "last_coordinator"
    assert "At least one coordinator must remain active" in str(refused.value)
    assert carol.refresh().user.is_active
    assert AuditEntry.objects.count() == entries


def test_the_confirmation_says_what_deactivation_destroys(world: World) -> None:
    page = _client(world.alice).get("/members/").content.decode()
    ivan_keys = KeyWrap.objects.filter(holder=world.ivan.user).count()
    assert ivan_keys == 1
    assert f"Their copy of {ivan_keys} key is destroyed" in page
    assert "This cannot be undone" in page
