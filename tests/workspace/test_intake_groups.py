"""Intake groups requests that look alike, in memory, so a scripted flood collapses and real requests stand out."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import HelpRequest
from refuge.intake.similarity import group_alike
from tests.personas import World, log_in

JUNK = "Help me now, they are coming to my house in Kazan, I need a safe place tonight, serial {n}"
REAL = [
    "My brother told our father about me and he said the family will deal with it after the wedding",
    "I was detained at a checkpoint near Nalchik, they copied my phone contacts and let me go",
]


def _client(persona) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    log_in(client, persona)
    return client


def _flood(world: World, junk: int = 12) -> tuple[list[HelpRequest], list[HelpRequest]]:
    sent = [
        do_submit_request(
            organisation=world.north, answers={"what_happened": JUNK.format(n=n)}, urgency="now", language="en"
        ).request
        for n in range(junk)
    ]
    real = [
        do_submit_request(
            organisation=world.north, answers={"what_happened": story}, urgency="weeks", language="en"
        ).request
        for story in REAL
    ]
    return sent, real


def test_a_flood_of_near_copies_collapses_into_one_group() -> None:
    texts = {n: JUNK.format(n=n) for n in range(200)} | {"a": REAL[0], "b": REAL[1]}
    groups = group_alike(texts)
    assert len(groups[0]) == 200
    assert sorted(map(len, groups)) == [1, 1, 200]


def test_the_same_person_joins_a_group_even_if_the_stories_differ() -> None:
    groups = group_alike({"a": REAL[0], "b": REAL[1], "c": "short"}, same_person=[("a", "c")])
    assert sorted(sorted(group) for group in groups) == [["a", "c"], ["b"]]


def test_the_grouped_inbox_shows_the_flood_as_one_large_group(world: World) -> None:
    junk, real = _flood(world)
    page = _client(world.ivan).get("/requests/?show=groups").content.decode()
    assert "12 requests that look alike" in page
    assert "Large group" in page
    assert page.count("A request unlike the others") == 2
    for request in junk + real:
        assert request.reference in page
    # Grouping decrypts every story it groups: each read is logged, as on the request's page.
    assert AuditEntry.objects.filter(code=AuditEvent.REQUEST_OPENED).count() == len(junk) + len(real)
    # The stories themselves are not shown on the list.
    assert "Kazan" not in page


def test_only_requests_apart_from_large_groups_puts_the_real_ones_first(world: World) -> None:
    junk, real = _flood(world)
    page = _client(world.ivan).get("/requests/?show=apart").content.decode()
    references = re.findall(r'class="intake-reference"[^>]*>(R-\w+)<', page)
    # In inbox order: most urgent, then oldest (to the hour), then by reference.
    assert references == sorted(request.reference for request in real)
    assert "12 requests in large groups are hidden." in page
    assert not any(request.reference in page for request in junk)


def test_the_plain_inbox_still_decrypts_nothing_and_a_bad_choice_falls_back_to_it(world: World) -> None:
    _flood(world, junk=3)
    for address in ("/requests/", "/requests/?show=everything"):
        response = _client(world.ivan).get(address)
        assert response.status_code == 200
        assert "Nothing is decrypted on this page" in response.content.decode()
    assert not AuditEntry.objects.filter(code=AuditEvent.REQUEST_OPENED).exists()


@pytest.mark.parametrize("show", ["groups", "apart"])
def test_a_caseworker_cannot_group_the_inbox(world: World, show: str) -> None:
    _flood(world, junk=3)
    assert _client(world.bob).get(f"/requests/?show={show}").status_code == 404
    assert not AuditEntry.objects.filter(code=AuditEvent.REQUEST_OPENED).exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(show=st.text(max_size=40), page=st.text(max_size=12))
def test_any_way_of_showing_the_inbox_answers_without_a_5xx_or_a_write(world: World, show: str, page: str) -> None:
    client = _ivan_client(world)
    before = HelpRequest.objects.count(), AuditEntry.objects.exclude(code=AuditEvent.REQUEST_OPENED).count()
    response = client.get("/requests/", {"show": show, "page": page})
    assert response.status_code == 200
    assert (HelpRequest.objects.count(), AuditEntry.objects.exclude(code=AuditEvent.REQUEST_OPENED).count()) == before


_clients: dict[int, Client] = {}


def _ivan_client(world: World) -> Client:
    # One login per test (an Argon2id run), reused by every example.
    key = id(world)
    if key not in _clients:
        _clients.clear()
        _flood(world, junk=3)
        _clients[key] = _client(world.ivan)
    return _clients[key]
