"""Staff under coercion: "lock me out now" and the organisation's emergency lock, undone only as promised."""

from __future__ import annotations

import pytest
from django.test import Client

from refuge.accounts.models import StaffSession, User
from refuge.core.errors import UserError
from refuge.safety.actions.lockout import do_lift_emergency_lock
from refuge.safety.models import EmergencyLock
from tests.personas import Persona, World

pytestmark = pytest.mark.django_db


def can_log_in(persona: Persona) -> bool:
    User.objects.filter(pk=persona.user.pk).update(totp_last_step=0)
    response = Client().post(
        "/login/",
        {
            "organisation": persona.org_slug,
            "username": persona.user.username,
            "password": persona.password,
            "code": persona.code(),
        },
    )
    return response.status_code == 302


def logged_in(client: Client) -> bool:
    return client.get("/account/").status_code == 200


def test_lock_me_out_ends_every_session_until_a_coordinator_unlocks(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    laptop, phone = client_for(world.bob), client_for(world.bob)
    assert "Lock me out now" in laptop.get("/account/lock/").content.decode()
    assert laptop.post("/account/lock/me/", {}).status_code == 400  # not confirmed: nothing happens
    assert logged_in(phone)
    response = laptop.post("/account/lock/me/", {"me-confirm": "on"})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not logged_in(phone) and not logged_in(laptop)
    assert not StaffSession.objects.filter(user=world.bob.user).exists()
    assert not can_log_in(world.bob)
    alice = client_for(world.alice)
    assert alice.post(f"/members/{world.bob.user.pk}/unlock/").status_code == 302
    assert can_log_in(world.bob)


def test_the_emergency_lock_ends_every_session_and_only_the_shares_lift_it(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    User.objects.filter(pk=world.adam.user.pk).update(locked_by_duress=True)  # locked before, by a duress login
    clients = {persona.user.username: client_for(persona) for persona in (world.alice, world.bob, world.ivan)}
    charlie = client_for(world.charlie)
    response = clients["bob"].post("/account/lock/everyone/", {"all-confirm": "on"})
    assert response.status_code == 302
    assert not any(logged_in(client) for client in clients.values())
    assert logged_in(charlie), "another organisation is not touched"
    assert not StaffSession.objects.filter(user__organisation=world.north).exists()
    for persona in (world.alice, world.bob, world.bella, world.audrey):
        assert not can_log_in(persona)
    with pytest.raises(UserError):
        do_lift_emergency_lock(organisation=world.north, shares=world.north_shares[:1])
    assert not can_log_in(world.alice)
    unlocked = do_lift_emergency_lock(organisation=world.north, shares=world.north_shares)
    assert unlocked == 5  # every north member but Adam
    assert can_log_in(world.alice) and can_log_in(world.bob)
    assert not can_log_in(world.adam), "an account locked by duress before stays locked for a coordinator"
    assert EmergencyLock.objects.get().lifted_at is not None
    with pytest.raises(UserError):
        do_lift_emergency_lock(organisation=world.north, shares=world.north_shares)
