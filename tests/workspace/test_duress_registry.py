"""The empty pages of a duress session are a registry each capability adds to (refuge/workspace/duress.py).

The registry is held to the URLconf and to the access suite's table, so that neither can
drift from it: every registered page is a route, it opens for exactly the roles the real
page does, and the access suite's duress cells (a caseworker under duress) expect the empty
page exactly where one is registered. tests/workspace/test_duress_pages.py checks each page
looks like a real empty account's.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

from refuge.accounts.models import Role, User
from refuge.workspace import duress
from refuge.workspace.duress import EmptyPage, empty_pages, register_empty_page
from tests.access.routes import url_routes
from tests.access.spec import ROUTES, Staff
from tests.personas import World
from tests.workspace.test_duress_pages import _duress_client

pytestmark = pytest.mark.django_db

TODAYS_EMPTY_PAGES = [
    "workspace:account",
    "workspace:api_tokens",
    "workspace:audit",
    "workspace:audit_statistics",
    "workspace:audit_verify",
    "workspace:case_list",
    "workspace:disclosure_register",
    "workspace:escalation",
    "workspace:home",
    "workspace:intake_inbox",
    "workspace:letter_templates",
    "workspace:lock",
    "workspace:members",
    "workspace:organisation",
    "workspace:outcomes",
    "workspace:outcomes_csv",
    "workspace:partner_list",
    "workspace:pathway_detail",
    "workspace:pathway_list",
    "workspace:pathway_new",
    "workspace:referral_import",
    "workspace:retention",
    "workspace:shelter_list",
    "workspace:shelter_new",
]
# Registered for a caseworker, yet the access suite's duress cell expects 404, and why.
SCOPE_404 = {
    # The suite's pathway is one of north's own; a new organisation (what a duress session
    # shows) has only the shared catalogue, so north's answers 404 like a missing one.
    "workspace:pathway_detail",
}


def _member(role: str) -> User:
    return User(role=role, is_active=True)


def test_todays_empty_pages_are_registered_once() -> None:
    assert sorted(empty_pages()) == TODAYS_EMPTY_PAGES


def test_every_empty_page_is_a_route_of_the_workspace() -> None:
    routes = {route.name for route in url_routes()}
    assert sorted(set(empty_pages()) - routes) == []


def test_an_empty_page_opens_for_exactly_the_roles_the_real_page_does() -> None:
    for name, page in empty_pages().items():
        spec = ROUTES[name]
        assert isinstance(spec, Staff), name
        opens = {role for role in Role.values if page.may_open(_member(role))}
        assert opens == set(spec.roles_for("GET")), name


def test_the_access_suite_expects_an_empty_page_exactly_where_one_is_registered() -> None:
    caseworker = _member(Role.CASEWORKER)
    registered = {name for name, page in empty_pages().items() if page.may_open(caseworker)}
    expected = set()
    for name, spec in ROUTES.items():
        if not isinstance(spec, Staff) or not spec.duress:
            continue
        # Only a page is ever shown under duress: a form sent answers 404 (duress_page).
        assert (spec.duress is True and spec.methods == ("GET",)) or spec.duress == ("GET",), name
        expected.add(name)
    assert expected == registered - SCOPE_404
    assert registered >= SCOPE_404


def test_registering_a_page_twice_stops_refuge(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(duress, "_empty_pages", {})
    page = EmptyPage("workspace:alarm", lambda request, user: HttpResponse("empty"))
    register_empty_page(page)
    with pytest.raises(ImproperlyConfigured, match="workspace:alarm"):
        register_empty_page(page)


def test_a_page_is_shown_under_duress_once_its_app_registers_it(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = _duress_client(world.bob)
    assert client.get("/account/lock/").status_code == 200
    assert client.get("/organisation/escalation/").status_code == 404  # a coordinator's page, for a caseworker

    def shown(request: HttpRequest, user: User) -> HttpResponse:
        return HttpResponse(f"the empty checklist of {user.username}")

    monkeypatch.setattr(duress, "_empty_pages", {"workspace:escalation": EmptyPage("workspace:escalation", shown)})
    response = client.get("/organisation/escalation/")
    assert response.status_code == 200 and response.content == b"the empty checklist of bob"
    # Nothing else is: the lock page is no longer registered in this registry, so it is missing.
    assert client.get("/account/lock/").status_code == 404
    assert client.post("/organisation/escalation/", {"title": "x"}).status_code == 404
