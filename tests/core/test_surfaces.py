"""Portal and staff on separate host names: each answers 404 for the other's pages; /health/ everywhere."""

from __future__ import annotations

import re

import pytest
from django.core.checks import run_checks
from django.db import DatabaseError
from django.test import Client, override_settings

from tests.personas import World

PORTAL, STAFF = "help.example.org", "staff.example.org"
SEPARATE = {
    "ALLOWED_HOSTS": [PORTAL, STAFF, "other.example.org"],
    "REFUGE_PORTAL_HOSTS": [PORTAL],
    "REFUGE_STAFF_HOSTS": [STAFF],
}


def _page(content: bytes) -> bytes:
    return re.sub(rb'name="(csrfmiddlewaretoken|next)" value="[^"]*"', b"", content)


def _get(host: str, path: str) -> int:
    return Client(HTTP_HOST=host).get(path).status_code


@pytest.mark.django_db
@override_settings(**SEPARATE)
def test_the_staff_login_is_not_found_on_the_portal_host_and_the_portal_not_on_the_staff_host(world: World) -> None:
    slug = world.north.slug
    assert _get(STAFF, "/login/") == 200
    assert _get(PORTAL, "/login/") == 404
    assert _get(PORTAL, "/") == 404
    assert _get(PORTAL, f"/r/{slug}/") == 200
    assert _get(STAFF, f"/r/{slug}/") == 404
    assert _get(STAFF, "/r/leave-quickly/") == 404
    # The 404 is the ordinary one: nothing says the page exists elsewhere (the form token
    # and the language form's return address differ on every page).
    missing = Client(HTTP_HOST=STAFF).get("/no-such-page/")
    refused = Client(HTTP_HOST=PORTAL).get("/login/")
    assert _page(refused.content) == _page(missing.content)
    # A host in neither list serves neither surface.
    assert _get("other.example.org", "/login/") == 404
    assert _get("other.example.org", f"/r/{slug}/") == 404


@pytest.mark.django_db
@override_settings(**SEPARATE)
def test_the_health_check_answers_on_every_host() -> None:
    for host in (PORTAL, STAFF, "other.example.org"):
        response = Client(HTTP_HOST=host).get("/health/")
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_health_check_says_unavailable_without_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.backends.utils import CursorWrapper

    def broken(self: object, sql: str, params: object = None) -> None:
        raise DatabaseError("gone")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = Client().get("/health/")
    assert response.status_code == 503 and response.json() == {"status": "unavailable"}


@pytest.mark.django_db
def test_without_the_lists_every_host_serves_both(world: World) -> None:
    assert _get("127.0.0.1", "/login/") == 200
    assert _get("127.0.0.1", f"/r/{world.north.slug}/") == 200


@pytest.mark.parametrize(
    ("portal", "staff", "problem"),
    [
        ([PORTAL], [], "only one of"),
        ([PORTAL], [PORTAL], "in both lists"),
        (["unknown.example.org"], [STAFF], "not in REFUGE_ALLOWED_HOSTS"),
    ],
)
def test_refuge_check_names_host_lists_that_do_not_separate(portal: list[str], staff: list[str], problem: str) -> None:
    with override_settings(ALLOWED_HOSTS=[PORTAL, STAFF], REFUGE_PORTAL_HOSTS=portal, REFUGE_STAFF_HOSTS=staff):
        errors = [message for message in run_checks() if message.id == "refuge.E010"]
    assert errors and problem in errors[0].msg
