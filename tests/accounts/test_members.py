"""Administrators manage accounts of their own organisation only."""

from __future__ import annotations

from django.test import Client

from refuge.accounts.models import StaffSession
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.keyring.models import Key, KeyWrap
from tests.personas import World, log_in, without_tokens


def _client(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


def test_an_administrator_revokes_every_session_of_a_member(world: World) -> None:
    bob_laptop, bob_phone = _client(world.bob), _client(world.bob)
    admin = _client(world.adam)
    response = admin.post(f"/members/{world.bob.user.id}/revoke-sessions/")
    assert response.status_code == 302
    assert not StaffSession.objects.filter(user=world.bob.user).exists()
    assert bob_laptop.get("/").status_code == 302
    assert bob_phone.get("/").status_code == 302
    assert AuditEntry.objects.filter(code=AuditEvent.SESSIONS_REVOKED, object_id=str(world.bob.user.id)).exists()


def test_deactivating_a_member_removes_their_keys_and_marks_them_for_rotation(world: World) -> None:
    # Ivan (intake) holds the intake group key: Alice approved it (tests/personas.py).
    _client(world.alice)
    group_key = Key.objects.get(organisation=world.north, purpose="intake-group")
    assert KeyWrap.objects.filter(key=group_key, holder=world.ivan.user).exists()
    ivan_client = _client(world.ivan)
    _client(world.adam).post(f"/members/{world.ivan.user.id}/deactivate/")
    assert not KeyWrap.objects.filter(holder=world.ivan.user).exists()
    group_key.refresh_from_db()
    assert group_key.rotation_due
    assert ivan_client.get("/").status_code == 302
    response = Client().post(
        "/login/",
        {"organisation": "north", "username": "ivan", "password": world.ivan.password, "code": world.ivan.code()},
    )
    assert response.status_code == 400


def test_other_organisations_members_are_not_found(world: World) -> None:
    charlie = _client(world.charlie)
    for action in ("revoke-sessions", "deactivate", "unlock"):
        assert charlie.post(f"/members/{world.bob.user.id}/{action}/").status_code == 404
    assert StaffSession.objects.filter(user=world.bob.user).count() == 0
    assert world.bob.refresh().user.is_active
    listing = charlie.get("/members/").content.decode()
    assert "bob" not in listing
    assert "alice" not in listing


def test_a_missing_member_and_someone_elses_member_look_the_same(world: World) -> None:
    adam = _client(world.adam)
    missing = adam.post("/members/00000000-0000-0000-0000-000000000000/deactivate/")
    other = adam.post(f"/members/{world.charlie.user.id}/deactivate/")
    assert missing.status_code == other.status_code == 404
    assert without_tokens(missing.content) == without_tokens(other.content)


def test_caseworkers_and_auditors_cannot_manage_members(world: World) -> None:
    for persona in (world.bob, world.audrey, world.ivan):
        client = _client(persona)
        assert client.get("/members/").status_code == 404
        assert client.post(f"/members/{world.bella.user.id}/deactivate/").status_code == 404
    assert world.bella.refresh().user.is_active


def test_inviting_an_existing_username_is_refused_next_to_the_field(world: World) -> None:
    response = _client(world.adam).post("/members/", {"username": "bob", "role": "caseworker"})
    assert response.status_code == 400
    assert b"already used here" in response.content


def test_the_same_username_may_exist_in_another_organisation(world: World) -> None:
    # Uniqueness per organisation: Charlie's admin cannot learn north's names.
    response = _client(world.charlie).post("/members/", {"username": "bob", "role": "caseworker"})
    assert response.status_code == 200
