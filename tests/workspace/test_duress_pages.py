"""A duress session looks like a real empty account of the same role, page by page.

For every role, a member of a busy organisation logs in with their duress password,
and a member of the same role alone in a new organisation logs in for real. Both walk
every page their menu offers (and every page those pages link to); each page must
answer with the same status and the same HTML once usernames, organisation names and
form values are set aside. A page added to the menu without an empty version in
refuge/workspace/duress.py fails here.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from refuge.accounts.actions.credentials import do_set_duress_password
from refuge.accounts.models import Role, User
from refuge.intake.actions.submissions import do_submit_request
from tests.personas import Persona, World, log_in, make_organisation, without_tokens
from tests.workspace.people_support import open_case

pytestmark = pytest.mark.django_db

DURESS_PASSWORD = "under-pressure-pass-77"
NAV = re.compile(r'<nav class="site-nav".*?</nav>', re.DOTALL)
MAIN = re.compile(r"<main.*?</main>", re.DOTALL)
HREF = re.compile(r'href="(/[^"#?]*)"')
# Pages that show one object: a real empty account has none to link to.
# The audit log and its counts: a real account's log is never empty (its own login is an
# entry), while a duress session's shows nothing of the organisation's; only the list is set
# aside, and the duress page must show no entry at all (docs/threat-model.md, "Coerced caseworker").
AUDIT_LISTS = {"/audit/", "/audit/statistics/"}
AUDIT_LIST = re.compile(r'<table class="table">.*?</table>|<section class="empty-state">.*?</section>', re.DOTALL)
ONE_OBJECT = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/")


def _busy_organisation(world: World) -> None:
    """North has a case on every case role's team, a request waiting and a member locked out."""
    open_case(world, team=[world.bob, world.alice, world.ivan])
    do_submit_request(
        organisation=world.north, answers={"what_happened": "They came at night"}, urgency="now", language="en"
    )
    User.objects.filter(pk=world.bella.user.pk).update(locked_by_duress=True)


def _duress_client(persona: Persona) -> Client:
    do_set_duress_password(actor=persona.user, current_password=persona.password, duress_password=DURESS_PASSWORD)
    client = Client()
    data = {"organisation": persona.org_slug, "username": persona.user.username, "password": DURESS_PASSWORD}
    assert client.post("/login/", {**data, "code": "000000"}).status_code == 302
    return client


def _empty_account(role: str) -> tuple[Client, Persona]:
    """A real member of `role`, alone in an organisation where nothing has happened."""
    _, solo, _ = make_organisation("empty", "solo")
    User.objects.filter(pk=solo.user.pk).update(role=role)
    solo.user.refresh_from_db()
    client = Client()
    log_in(client, solo)
    return client, solo


def _links(html: str, pattern: re.Pattern[str]) -> list[str]:
    found = pattern.search(html)
    links = HREF.findall(found.group(0)) if found else []
    return [link for link in links if not link.startswith(("/static/", "/r/")) and not ONE_OBJECT.search(link)]


def _shape(html: str, names: list[str]) -> str:
    """The page with what differs between two accounts (names, form values, blank space) set aside, a tag a line."""
    for name in names:
        html = html.replace(name, "NAME")
    return re.sub(r"\s+", " ", without_tokens(html.encode())).replace("> <", "><").replace("><", ">\n<")


def _walk(client: Client) -> dict[str, tuple[int, str]]:
    """Every page reachable from the menu, and from the pages it opens: path → (status, HTML)."""
    home = client.get("/").content.decode()
    to_visit = ["/", *_links(home, NAV)]
    pages: dict[str, tuple[int, str]] = {}
    while to_visit:
        path = to_visit.pop(0)
        if path in pages or path == "/logout/":
            continue
        response = client.get(path)
        html = response.content.decode()
        pages[path] = (response.status_code, html)
        if path in {"/", *_links(home, NAV)}:
            to_visit += _links(html, MAIN)
    return pages


PERSONA_OF_ROLE = {
    Role.COORDINATOR: "alice",
    Role.CASEWORKER: "bob",
    Role.INTAKE: "ivan",
    Role.AUDITOR: "audrey",
    Role.ADMINISTRATOR: "adam",
}


@pytest.mark.parametrize("role", list(PERSONA_OF_ROLE))
def test_every_page_of_a_duress_session_looks_like_a_real_empty_account(world: World, role: str) -> None:
    _busy_organisation(world)
    persona: Persona = getattr(world, PERSONA_OF_ROLE[role])
    duress = _walk(_duress_client(persona))
    empty_client, solo = _empty_account(role)
    real = _walk(empty_client)
    names = [persona.user.username, solo.user.username, world.north.name, solo.user.organisation.name]

    assert sorted(duress) == sorted(real)
    assert len(real) >= 2  # the home page and at least "My account"
    for path, (status, html) in real.items():
        duress_status, duress_html = duress[path]
        assert duress_status == status, path
        if path in AUDIT_LISTS:
            assert "<tbody>" not in duress_html, path
            duress_html, html = AUDIT_LIST.sub("LIST", duress_html), AUDIT_LIST.sub("LIST", html)
        assert _shape(duress_html, names) == _shape(html, names), path
    # Nothing of north reached any page: no colleague, no case, no request.
    everything = "".join(html for _, html in duress.values())
    for other in ("bella", "ivan", "alice", "bob", "audrey", "adam"):
        if other != persona.user.username:
            assert f">{other}<" not in everything, other
    assert "Locked: duress login" not in everything
    assert "A duress password is set" not in everything


def test_pages_of_one_object_answer_404_under_duress_as_for_a_missing_one(world: World) -> None:
    case = open_case(world, team=[world.bob])
    client = _duress_client(world.bob)
    assert client.get(f"/cases/{case.pk}/").status_code == 404
    assert client.get("/shelters/new/").status_code == 404  # a coordinator's page, for a caseworker
    # Acts change nothing under duress: a form sent answers as a missing page.
    assert client.post("/account/password/", {"current_password": DURESS_PASSWORD}).status_code == 404
