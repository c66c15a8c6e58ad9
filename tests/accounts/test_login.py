"""Logging in unlocks the member's key; every failure looks the same."""

from __future__ import annotations

import base64

import pytest
from django.conf import settings
from django.test import Client

from refuge.accounts.models import StaffAlert, StaffSession, User
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from tests.personas import World, log_in, without_tokens


def _post_login(client: Client, org: str, username: str, password: str, code: str):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"organisation": org, "username": username, "password": password, "code": code})


def test_a_member_logs_in_with_password_and_code(world: World, client: Client) -> None:
    alice = world.alice
    response = _post_login(client, "north", "alice", alice.password, alice.code())
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(code=AuditEvent.LOGIN_SUCCEEDED, actor_id=alice.user.id).exists()


def test_every_kind_of_failure_gets_the_same_answer(world: World) -> None:
    alice = world.alice
    attempts = [
        ("north", "alice", "wrong-password-123", alice.code()),
        ("north", "alice", alice.password, "000000" if alice.code() != "000000" else "111111"),
        ("north", "nobody-here", alice.password, alice.code()),
        ("nowhere", "alice", alice.password, alice.code()),
        ("south", "alice", alice.password, alice.code()),
    ]
    bodies = set()
    for org, username, password, code in attempts:
        response = _post_login(Client(), org, username, password, code)
        assert response.status_code == 400
        body = response.content.decode()
        assert "not right" in body
        bodies.add(without_tokens(response.content))
    assert len(bodies) == 1


def test_a_used_code_cannot_be_replayed(world: World) -> None:
    alice = world.alice
    code = alice.code()
    assert _post_login(Client(), "north", "alice", alice.password, code).status_code == 302
    assert _post_login(Client(), "north", "alice", alice.password, code).status_code == 400


def test_repeated_failures_lock_the_account_for_a_while(world: World) -> None:
    bob = world.bob
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _post_login(Client(), "north", "bob", "not-his-password-1", bob.code())
    assert bob.refresh().user.locked_until is not None
    # Even the right password is refused while locked, with the same message.
    response = _post_login(Client(), "north", "bob", bob.password, bob.code())
    assert response.status_code == 400
    assert AuditEntry.objects.filter(code=AuditEvent.ACCOUNT_LOCKED, object_id=str(bob.user.id)).exists()


def test_failures_in_one_organisation_do_not_lock_a_namesake_elsewhere(world: World) -> None:
    for _ in range(settings.LOGIN_MAX_FAILURES):
        _post_login(Client(), "south", "alice", "whatever-password", "123456")
    assert world.alice.refresh().user.locked_until is None


def test_the_private_key_is_never_in_the_session_store_in_clear(world: World, client: Client) -> None:
    alice = world.alice
    log_in(client, alice)
    row = StaffSession.objects.get(user=alice.user)
    decoded = repr(StaffSession.get_session_store_class()().decode(row.session_data)).encode()
    assert b"refuge_wrapped_key" in decoded, "the session should hold the key only in wrapped form"
    for form in (alice.private_key, base64.b64encode(alice.private_key), alice.private_key.hex().encode()):
        assert form not in row.session_data.encode()
        assert form not in decoded


def test_the_key_cookie_is_http_only_and_host_prefixed(world: World, client: Client) -> None:
    log_in(client, world.alice)
    cookie = client.cookies[settings.KEY_COOKIE_NAME]
    assert settings.KEY_COOKIE_NAME.startswith("__Host-")
    assert cookie["httponly"]
    assert cookie["secure"]
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert not cookie["max-age"]


def test_without_the_key_cookie_the_session_ends(world: World, client: Client) -> None:
    log_in(client, world.alice)
    del client.cookies[settings.KEY_COOKIE_NAME]
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].endswith("/login/")
    assert not StaffSession.objects.filter(user=world.alice.user).exists()


def test_logging_out_destroys_the_session(world: World, client: Client) -> None:
    log_in(client, world.alice)
    client.post("/logout/")
    assert not StaffSession.objects.filter(user=world.alice.user).exists()
    assert AuditEntry.objects.filter(code=AuditEvent.LOGGED_OUT, actor_id=world.alice.user.id).exists()
    assert client.get("/").status_code == 302


def test_a_session_ends_after_its_absolute_lifetime(world: World, client: Client) -> None:
    log_in(client, world.alice)
    session = client.session
    session["refuge_started_at"] = "2000-01-01T00:00:00+00:00"
    session.save()
    assert client.get("/").status_code == 302


def test_a_duress_login_opens_an_empty_workspace_and_alerts_coordinators(world: World, client: Client) -> None:
    bob = world.bob
    bob_client = Client()
    log_in(bob_client, bob)
    bob_client.post("/account/duress/", {"current_password": bob.password, "duress_password": "under-pressure-pass-99"})
    response = _post_login(client, "north", "bob", "under-pressure-pass-99", "123456")
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert b"Nothing needs you" in home.content
    # Every page of the menu looks like a real empty account's (tests/workspace/test_duress_pages.py):
    # the account page too, without a word of the duress password.
    account = client.get("/account/")
    assert account.status_code == 200
    assert b"A duress password is set" not in account.content
    assert bob.refresh().user.locked_by_duress
    assert StaffAlert.objects.filter(subject_user=bob.user, kind=StaffAlert.Kind.DURESS_LOGIN).exists()
    # The real password no longer works until a coordinator unlocks the account.
    assert _post_login(Client(), "north", "bob", bob.password, bob.code()).status_code == 400
    coordinator_home = _logged_in(world.alice).get("/")
    assert b"Duress login" in coordinator_home.content


def _logged_in(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


@pytest.mark.parametrize("field", ["organisation", "username", "password", "code"])
def test_a_login_with_a_missing_field_is_refused_next_to_it(world: World, field: str) -> None:
    data = {"organisation": "north", "username": "alice", "password": world.alice.password, "code": world.alice.code()}
    data[field] = ""
    response = Client().post("/login/", data)
    assert response.status_code == 400
    assert b"This field is required" in response.content
    assert User.objects.get(pk=world.alice.user.pk).failed_logins == 0


def test_huge_and_control_character_input_is_refused_cleanly(world: World) -> None:
    # As the real server does: an oversize body becomes the translated 400 page.
    client = Client(raise_request_exception=False)
    for value in ["a" * 100_000, "ali\x00ce", "x" * 61]:
        response = client.post("/login/", {"organisation": value, "username": value, "password": value, "code": value})
        assert response.status_code == 400
        assert b"Traceback" not in response.content
    assert User.objects.filter(failed_logins__gt=0).count() == 0


def test_invalid_utf8_in_a_form_gets_a_clear_error(world: World) -> None:
    client = Client()
    client.get("/login/")
    response = client.generic(
        "POST",
        "/login/",
        b"organisation=\xff\xfe&username=%ED%A0%80&password=x&code=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert b"Traceback" not in response.content


def test_login_errors_are_translated_to_russian(world: World) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    response = _post_login(client, "north", "alice", "wrong-password-123", "123456")
    assert response.status_code == 400
    assert "не" in response.content.decode()


def test_every_login_attempt_costs_exactly_one_key_derivation(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Equal work is what keeps the outcome, and whether a duress password
    # exists, out of the response time.
    from refuge.accounts import login
    from refuge.accounts.actions.credentials import do_set_duress_password

    bella = world.bella
    do_set_duress_password(actor=bella.user, current_password=bella.password, duress_password="bella-under-duress-1")
    calls: list[int] = []
    real = login.password_key
    monkeypatch.setattr(login, "password_key", lambda wrap, password: calls.append(1) or real(wrap, password))
    attempts = [
        ("north", "bob", world.bob.password, world.bob.code()),  # right
        ("north", "bob", "wrong-password-1", "123456"),  # wrong, no duress password set
        ("north", "bella", "wrong-password-1", "123456"),  # wrong, a duress password is set
        ("north", "nobody", "wrong-password-1", "123456"),  # no such member
        ("north", "bella", "bella-under-duress-1", "123456"),  # the duress password
    ]
    for org, username, password, code in attempts:
        calls.clear()
        _post_login(Client(), org, username, password, code)
        assert len(calls) == 1, username


def test_changing_the_password_clears_the_duress_password(world: World) -> None:
    from refuge.accounts.actions.credentials import do_change_password, do_set_duress_password

    bob = world.bob
    do_set_duress_password(actor=bob.user, current_password=bob.password, duress_password="bob-under-duress-12")
    do_change_password(actor=bob.refresh().user, old_password=bob.password, new_password="bob-new-passphrase-1")
    assert bytes(bob.refresh().user.duress_verifier) == b""
    # The old duress password is now just a wrong password: no lock, no alert.
    _post_login(Client(), "north", "bob", "bob-under-duress-12", "123456")
    assert not bob.refresh().user.locked_by_duress
    assert not StaffAlert.objects.exists()
