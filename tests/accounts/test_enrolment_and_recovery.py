"""Joining with an invitation, and getting back in with the personal recovery key."""

from __future__ import annotations

import re

from django.test import Client

from refuge.accounts import totp
from refuge.accounts.models import Invitation, Role, User
from refuge.crypto import open_sealed
from tests.personas import World, log_in


def _invite(world: World, username: str = "newbie", role: str = Role.CASEWORKER) -> str:
    client = Client()
    log_in(client, world.adam)
    response = client.post("/members/", {"username": username, "role": role})
    assert response.status_code == 200
    match = re.search(r"/enrol/([A-Za-z0-9_-]+)/", response.content.decode())
    assert match
    # An administrator's invitation to a content role works once a coordinator approves it.
    invitation = Invitation.objects.get(username=username)
    coordinator = Client()
    log_in(coordinator, world.alice)
    assert coordinator.post(f"/members/invitations/{invitation.pk}/approve/").status_code == 302
    return match.group(1)


def _enrol(token: str, password: str = "a-long-enough-passphrase") -> tuple[Client, str, str]:
    client = Client()
    response = client.post(f"/enrol/{token}/", {"password": password, "password_again": password})
    assert response.status_code == 200
    body = response.content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', body).group(1)  # type: ignore[union-attr]
    recovery = re.search(r'id="recovery-key">([0-9A-Z-]+)<', body).group(1)  # type: ignore[union-attr]
    return client, secret, recovery


def test_an_invited_member_enrols_confirms_their_code_and_logs_in(world: World) -> None:
    token = _invite(world)
    client, secret, _ = _enrol(token)
    # Until the code is confirmed, the workspace is closed.
    assert client.get("/").status_code == 302
    assert client.post("/enrol/confirm/", {"code": totp.code_at(secret)}).status_code == 302
    assert client.get("/").status_code == 200
    newbie = User.objects.get(username="newbie")
    assert newbie.totp_confirmed
    assert newbie.organisation == world.north
    assert bytes(newbie.private_key_password_wrap) != b""


def test_an_enrolment_link_works_only_once(world: World) -> None:
    token = _invite(world)
    _enrol(token)
    response = Client().post(
        f"/enrol/{token}/", {"password": "another-long-pass", "password_again": "another-long-pass"}
    )
    assert response.status_code == 404
    assert User.objects.filter(username="newbie").count() == 1


def test_an_unknown_enrolment_link_says_nothing_about_why(world: World) -> None:
    response = Client().get("/enrol/not-a-real-token/")
    assert response.status_code == 404
    assert b"not valid" in response.content


def test_a_weak_password_is_refused_next_to_the_field_and_nothing_is_created(world: World) -> None:
    token = _invite(world)
    response = Client().post(f"/enrol/{token}/", {"password": "short", "password_again": "short"})
    assert response.status_code == 400
    assert b"too short" in response.content
    assert not User.objects.filter(username="newbie").exists()
    assert Invitation.objects.get(username="newbie").used is False


def test_a_wrong_confirmation_code_keeps_the_enrolment_open(world: World) -> None:
    client, secret, _ = _enrol(_invite(world))
    wrong = "000000" if totp.code_at(secret) != "000000" else "111111"
    response = client.post("/enrol/confirm/", {"code": wrong})
    assert response.status_code == 400
    assert not User.objects.get(username="newbie").totp_confirmed


def test_the_personal_recovery_key_restores_an_account_with_a_new_password_and_code(world: World) -> None:
    bob = world.bob
    client = Client()
    response = client.post(
        "/recover/",
        {
            "organisation": "north",
            "username": "bob",
            "recovery_code": bob.recovery_code.lower().replace("-", " "),
            "password": "a-brand-new-passphrase",
            "password_again": "a-brand-new-passphrase",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    new_secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', body).group(1)  # type: ignore[union-attr]
    new_recovery = re.search(r'id="recovery-key">([0-9A-Z-]+)<', body).group(1)  # type: ignore[union-attr]
    assert new_recovery != bob.recovery_code
    assert client.post("/enrol/confirm/", {"code": totp.code_at(new_secret)}).status_code == 302
    user = User.objects.get(pk=bob.user.pk)
    # Same private key: everything shared with Bob before is still his to open.
    assert open_sealed(bob.private_key, bytes(user.totp_secret_sealed)).decode() == new_secret
    # The old recovery key was used up.
    again = Client().post(
        "/recover/",
        {
            "organisation": "north",
            "username": "bob",
            "recovery_code": bob.recovery_code,
            "password": "x-another-passphrase",
            "password_again": "x-another-passphrase",
        },
    )
    assert again.status_code == 400


def test_a_wrong_recovery_key_gets_the_same_answer_as_an_unknown_member(world: World) -> None:
    base = {"password": "a-brand-new-passphrase", "password_again": "a-brand-new-passphrase"}
    wrong_key = Client().post(
        "/recover/",
        {
            **base,
            "organisation": "north",
            "username": "bob",
            "recovery_code": "0000-0000-0000-0000-0000-0000-0000-0000",
        },
    )
    no_member = Client().post(
        "/recover/", {**base, "organisation": "north", "username": "ghost", "recovery_code": world.bob.recovery_code}
    )
    assert wrong_key.status_code == no_member.status_code == 400
    assert b"recovery key is not right" in wrong_key.content
    assert b"recovery key is not right" in no_member.content


def test_changing_the_password_keeps_the_same_key(world: World) -> None:
    bob = world.bob
    client = Client()
    log_in(client, bob)
    response = client.post(
        "/account/password/",
        {"old_password": bob.password, "password": "the-next-passphrase", "password_again": "the-next-passphrase"},
    )
    assert response.status_code == 302
    bob.password = "the-next-passphrase"
    log_in(Client(), bob)
    assert open_sealed(bob.private_key, bytes(User.objects.get(pk=bob.user.pk).totp_secret_sealed))


def test_a_wrong_current_password_changes_nothing(world: World) -> None:
    bob = world.bob
    client = Client()
    log_in(client, bob)
    before = bytes(User.objects.get(pk=bob.user.pk).private_key_password_wrap)
    response = client.post(
        "/account/password/",
        {"old_password": "not-it-at-all", "password": "the-next-passphrase", "password_again": "the-next-passphrase"},
    )
    assert response.status_code == 400
    assert b"current password is not right" in response.content
    assert bytes(User.objects.get(pk=bob.user.pk).private_key_password_wrap) == before
