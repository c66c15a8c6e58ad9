"""Typed work survives a session that ended while the member was typing (issue #16 item 16)."""

from __future__ import annotations

import html as html_lib
import re

from django.conf import settings
from django.db import connection
from django.test import Client

from refuge.accounts.models import StaffSession, User
from refuge.cases.models import Case, Note
from tests.personas import Persona, World, log_in
from tests.workspace.people_support import open_case

MARKER = "Kept through the login: the safe house on Linden street, not the old one"


def _everything_stored() -> str:
    """Every row of every table, as a seizure of the database would yield it."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump)


def _expired(client: Client, persona: Persona) -> None:
    """The session ends on the server while the page stays open in the browser."""
    StaffSession.objects.filter(user=persona.user).delete()


def _login_data(persona: Persona, password: str | None = None) -> dict[str, str]:
    User.objects.filter(pk=persona.user.pk).update(totp_last_step=0)
    return {
        "organisation": persona.org_slug,
        "username": persona.user.username,
        "password": password or persona.password,
        "code": persona.code(),
    }


def _hidden(page: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page):
        fields.setdefault(html_lib.unescape(name), []).append(html_lib.unescape(value))
    return fields


def _textareas(page: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<textarea name="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S):
        fields.setdefault(html_lib.unescape(name), []).append(html_lib.unescape(value))
    return fields


def _carried_login(world: World, client: Client, case: Case) -> str:
    """Post a note after the session ended: the login page that carries it."""
    _expired(client, world.bob)
    response = client.post(f"/cases/{case.pk}/notes/", {"note-body": MARKER, "csrfmiddlewaretoken": "old-token"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Your session ended; log in again to send what you typed." in page
    assert 'action="/login/"' in page
    return page


def test_a_note_posted_after_the_session_ended_survives_the_login_and_is_saved_on_send(world: World) -> None:
    case = open_case(world, team=[world.bob])
    client = Client()
    log_in(client, world.bob)
    page = _carried_login(world, client, case)
    hidden = _hidden(page)
    assert hidden["carried:note-body"] == [MARKER]
    assert hidden["carry_to"] == [f"/cases/{case.pk}/notes/"]
    assert "carried:csrfmiddlewaretoken" not in hidden and "old-token" not in page
    # Nothing of it is stored anywhere on the server before the member presses send.
    assert MARKER not in _everything_stored()
    assert not Note.objects.filter(case=case).exists()

    login = {**_login_data(world.bob), "carry_to": hidden["carry_to"][0], "carried:note-body": MARKER}
    after = client.post("/login/", login)
    assert after.status_code == 200
    resend = after.content.decode()
    assert "Send what you typed" in resend
    assert f'action="/cases/{case.pk}/notes/"' in resend
    assert _textareas(resend) == {"note-body": [MARKER]}
    assert "csrfmiddlewaretoken" in resend
    assert MARKER not in _everything_stored()
    assert not Note.objects.filter(case=case).exists()

    sent = client.post(f"/cases/{case.pk}/notes/", {"note-body": _textareas(resend)["note-body"][0]})
    assert sent.status_code == 302
    assert Note.objects.filter(case=case).count() == 1
    assert MARKER in client.get(f"/cases/{case.pk}/").content.decode()


def test_a_failed_login_keeps_carrying_what_was_typed(world: World) -> None:
    case = open_case(world, team=[world.bob])
    client = Client()
    log_in(client, world.bob)
    hidden = _hidden(_carried_login(world, client, case))
    wrong = {**_login_data(world.bob, "not-the-password-1"), "carry_to": hidden["carry_to"][0]}
    wrong["carried:note-body"] = MARKER
    response = client.post("/login/", wrong)
    assert response.status_code == 400
    again = _hidden(response.content.decode())
    assert again["carried:note-body"] == [MARKER]
    assert MARKER not in _everything_stored()


def test_a_locked_keyring_carries_the_form_too(world: World) -> None:
    case = open_case(world, team=[world.bob])
    client = Client()
    log_in(client, world.bob)
    del client.cookies[settings.KEY_COOKIE_NAME]
    response = client.post(f"/cases/{case.pk}/notes/", {"note-body": MARKER})
    assert response.status_code == 403
    assert _hidden(response.content.decode())["carried:note-body"] == [MARKER]
    assert not StaffSession.objects.filter(user=world.bob.user).exists()
    assert MARKER not in _everything_stored()


def test_an_external_or_unknown_target_is_refused(world: World) -> None:
    client = Client()
    for target in (
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example",
        "/no-such-page/",
        "/login/",
        "/logout/",
        "javascript:alert(1)",
    ):
        data = {**_login_data(world.bob), "carry_to": target, "carried:note-body": MARKER}
        response = Client().post("/login/", data)
        # An ordinary login: home, never the target, and nothing carried.
        assert response.status_code == 302 and response["Location"] == "/", target
    # A page outside the workspace's staff views is never answered with a carrying login page either.
    response = client.post("/login/", {"carry_to": "https://evil.example/", "carried:x": "y"})
    assert response.status_code == 400
    assert "evil.example" not in response.content.decode()


def test_secrets_and_files_are_not_carried(world: World) -> None:
    client = Client()
    log_in(client, world.bob)
    _expired(client, world.bob)
    response = client.post(
        "/account/password/", {"old_password": "typed-secret-1", "password": "typed-secret-2", "password_again": "x"}
    )
    page = response.content.decode()
    assert "typed-secret" not in page


def test_a_duress_login_shows_the_same_page_and_saves_nothing(world: World) -> None:
    case = open_case(world, team=[world.bob])
    bob_client = Client()
    log_in(bob_client, world.bob)
    duress = "under-pressure-pass-99"
    bob_client.post("/account/duress/", {"current_password": world.bob.password, "duress_password": duress})
    client = Client()
    log_in(client, world.bob)
    hidden = _hidden(_carried_login(world, client, case))
    login = {**_login_data(world.bob, duress), "carry_to": hidden["carry_to"][0], "carried:note-body": MARKER}
    after = client.post("/login/", login)
    assert after.status_code == 200
    # The page holds only what the browser sent: the same as after a real login.
    assert _textareas(after.content.decode()) == {"note-body": [MARKER]}
    assert f'action="/cases/{case.pk}/notes/"' in after.content.decode()
    sent = client.post(f"/cases/{case.pk}/notes/", {"note-body": MARKER})
    assert sent.status_code == 404
    assert not Note.objects.filter(case=case).exists()
    assert MARKER not in _everything_stored()
    assert case.reference not in after.content.decode()
