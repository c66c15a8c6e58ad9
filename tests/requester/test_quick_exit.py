"""Leaving ends the request on the server: Back, a copied cookie or another device open nothing."""

from __future__ import annotations

import re

from django.conf import settings
from django.test import Client, override_settings

from refuge.intake.models import HelpRequest
from tests.personas import World
from tests.requester.helpers import open_request, page, receipt_in, rows, send_request

COOKIE = "__Host-refuge-portal"
SECRET_REPLY = "Nobody else may read this line"


def _opened() -> tuple[Client, str]:
    """A browser inside its request page, and the receipt."""
    client = Client()
    receipt = receipt_in(send_request(client).content.decode())
    open_request(client, receipt)
    assert "Write to the team" in page(client, "/r/request/")
    return client, receipt


def _copy(client: Client) -> Client:
    """Another browser holding a copy of the portal cookie as it is now."""
    thief = Client()
    thief.cookies[COOKIE] = client.cookies[COOKIE].value
    return thief


def _shows_the_request(client: Client) -> bool:
    html = page(client, "/r/request/")
    return "Write to the team" in html or "Status:" in html


@override_settings(REFUGE_QUICK_EXIT_URL="https://weather.example/today")
def test_leave_quickly_ends_the_session_on_the_server_then_goes_to_the_exit_site(world: World) -> None:
    client, _ = _opened()
    copied = _copy(client)
    epoch = HelpRequest.objects.get().portal_epoch

    response = client.get("/r/leave-quickly/")

    assert response.status_code == 302
    assert response["Location"] == "https://weather.example/today"
    assert response.cookies[COOKIE].value == ""
    # The page must not come back from the browser's caches (Back) either.
    assert response["Cache-Control"] == "no-store"
    assert response["Clear-Site-Data"] == '"cache"'
    assert response["Referrer-Policy"] == "no-referrer"
    assert HelpRequest.objects.get().portal_epoch != epoch
    # Back: the page is asked for again and now wants the receipt.
    assert not _shows_the_request(client)
    assert 'name="receipt"' in page(client, "/r/request/")
    # A copy of the cookie taken before leaving opens nothing any more.
    assert not _shows_the_request(copied)


def test_a_cookie_copied_earlier_works_until_the_requester_leaves(world: World) -> None:
    client, _ = _opened()
    copied = _copy(client)
    page(client, "/r/request/")  # a renewed cookie in the browser; the copy is older
    assert _shows_the_request(copied)

    client.get("/r/leave-quickly/")

    assert not _shows_the_request(copied)


def test_leave_and_forget_this_device_also_ends_every_copy(world: World) -> None:
    client, _ = _opened()
    copied = _copy(client)
    response = client.post("/r/leave/")
    assert response.status_code == 302 and response["Clear-Site-Data"] == '"cache"'
    assert not _shows_the_request(copied)
    assert not _shows_the_request(client)


def test_leaving_ends_the_sessions_of_other_devices_too_and_the_receipt_still_opens(world: World) -> None:
    client, receipt = _opened()
    other_device = Client()
    open_request(other_device, receipt)
    assert _shows_the_request(other_device)

    client.get("/r/leave-quickly/")

    assert not _shows_the_request(other_device)
    again = Client()
    assert open_request(again, receipt).status_code == 302
    assert _shows_the_request(again)


def test_leave_quickly_without_a_session_writes_nothing_and_still_leaves(world: World) -> None:
    send_request(Client())
    before = rows()
    epoch = HelpRequest.objects.get().portal_epoch
    for client in (Client(), _forged()):
        response = client.get("/r/leave-quickly/")
        assert response.status_code == 302
        assert response["Location"] == settings.REFUGE_QUICK_EXIT_URL
    assert rows() == before
    assert HelpRequest.objects.get().portal_epoch == epoch


def _forged() -> Client:
    client = Client()
    client.cookies[COOKIE] = "A" * 139
    return client


def test_the_leave_page_read_by_get_forgets_the_cookie_but_changes_nothing(world: World) -> None:
    client, _ = _opened()
    copied = _copy(client)
    epoch = HelpRequest.objects.get().portal_epoch
    response = client.get("/r/leave/")
    assert response.cookies[COOKIE].value == ""
    assert HelpRequest.objects.get().portal_epoch == epoch
    # Only the cookie in this browser is gone: a GET never writes.
    assert _shows_the_request(copied)


@override_settings(REFUGE_PORTAL_SESSION_MINUTES=7)
def test_the_request_page_closes_itself_without_javascript(world: World) -> None:
    client, _ = _opened()
    html = page(client, "/r/request/")
    assert "<script" not in html
    # When the session has run out, the browser itself goes to the page that forgets it.
    refresh = re.findall(r'<meta http-equiv="refresh" content="(\d+); url=([^"]+)">', html)
    assert refresh == [("420", "/r/leave/")]
    assert "closes itself after 7 minutes" in html
    response = client.get("/r/leave/")
    assert "You have left your request" in response.content.decode()
    assert not _shows_the_request(client)


def test_only_the_request_page_closes_itself(world: World) -> None:
    for url in ["/r/north/", "/r/north/ask/", "/r/status/", "/r/leave/"]:
        assert 'http-equiv="refresh"' not in page(Client(), url), url
