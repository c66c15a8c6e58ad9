"""Every portal page: neutral title, quick exit first, light, local, translated, no tracking cookies."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client, override_settings

from tests.personas import World, without_tokens
from tests.requester.helpers import ALLOWED_COOKIES, open_request, receipt_in, rows, send_request

ONION = "http://" + "a" * 56 + ".onion"


def _every_portal_page(client: Client, language: str) -> dict[str, str]:
    """url → HTML of each page a requester sees, in one language."""
    pages = {}
    for url in [
        "/r/north/",
        "/r/north/ask/",
        "/r/status/",
        "/r/leave/",
        "/r/request/check-in/",
        "/r/request/staying-safe/",
    ]:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        pages[url] = response.content.decode()
    submitted = send_request(client, language=language)
    pages["receipt"] = submitted.content.decode()
    open_request(client, receipt_in(pages["receipt"]), language)
    pages["/r/request/"] = client.get("/r/request/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    checked_in = client.post(
        "/r/request/check-in/",
        {"receipt": receipt_in(pages["receipt"]), "message": "ok"},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    pages["check-in received"] = checked_in.content.decode()
    client.post("/r/request/help-now/", HTTP_ACCEPT_LANGUAGE=language)
    pages["/r/request/help-now/sent/"] = client.get(
        "/r/request/help-now/sent/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    return pages


@pytest.mark.parametrize(("language", "title"), [("en", "Contact form"), ("ru", "Форма связи")])
def test_every_page_has_one_neutral_title_without_the_organisation(world: World, language: str, title: str) -> None:
    for url, html in _every_portal_page(Client(), language).items():
        assert re.findall(r"<title>(.*?)</title>", html) == [title], url
        assert f'<html lang="{language}"' in html, url
        assert "Refuge" not in html, url
    assert "North Rainbow" in _every_portal_page(Client(), language)["/r/north/"]


def test_the_quick_exit_link_comes_first_on_every_page(world: World) -> None:
    for url, html in _every_portal_page(Client(), "en").items():
        body = html.split("<body>", 1)[1]
        first_link = re.search(r"<(a|button|input|select|textarea)\b[^>]*>", body)
        assert first_link, url
        assert 'class="quick-exit"' in first_link.group(0), url
        # Through the portal, which ends the session and sends the browser on (test_quick_exit.py).
        assert 'href="/r/leave-quickly/"' in first_link.group(0)
        assert 'rel="noreferrer"' in first_link.group(0)


@override_settings(REFUGE_QUICK_EXIT_URL="https://weather.example/today")
def test_the_quick_exit_address_comes_from_the_settings(world: World) -> None:
    html = Client().get("/r/north/").content.decode()
    assert '<a class="quick-exit" href="/r/leave-quickly/"' in html
    response = Client().get("/r/leave-quickly/")
    assert response.status_code == 302
    assert response["Location"] == "https://weather.example/today"


def test_every_page_offers_the_language_switch_except_the_one_showing_the_receipt(world: World) -> None:
    for url, html in _every_portal_page(Client(), "ru").items():
        # Switching reloads the page, and a receipt can never be shown again.
        assert ('action="/i18n/setlang/"' in html) is (url != "receipt"), url


def test_the_language_follows_the_browser_and_the_switch(world: World) -> None:
    client = Client()
    assert "Попросить" in client.get("/r/north/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/r/north/"})
    assert response["Location"] == "/r/north/"
    assert "Ask North Rainbow for help" in client.get("/r/north/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()


def test_pages_load_nothing_from_other_hosts_and_stay_small(world: World) -> None:
    css = finders.find("requester/portal.css")
    assert css
    with open(css, "rb") as handle:
        css_bytes = len(handle.read())
    for url, html in _every_portal_page(Client(), "ru").items():
        assert len(html.encode()) + css_bytes < 30_000, url
        for attribute in re.findall(r'\b(?:src|href|action)="([^"]*)"', html):
            assert attribute.startswith(("/", "#", "data:")) or attribute == settings.REFUGE_QUICK_EXIT_URL, url
        assert "<script" not in html
        assert "<img" not in html


def test_portal_pages_set_no_session_row_and_no_other_cookie(world: World) -> None:
    before = rows()["sessions"]
    client = Client()
    seen: set[str] = set()
    for url in ["/r/north/", "/r/north/ask/", "/r/status/", "/r/leave/", "/r/request/"]:
        seen |= set(client.get(url).cookies)
    submitted = send_request(client)
    seen |= set(submitted.cookies)
    seen |= set(open_request(client, receipt_in(submitted.content.decode())).cookies)
    seen |= set(client.get("/r/request/").cookies)
    seen |= set(client.post("/i18n/setlang/", {"language": "ru", "next": "/r/north/"}).cookies)
    assert seen <= ALLOWED_COOKIES
    assert "__Host-refuge-portal" in seen
    assert rows()["sessions"] == before


def test_an_unknown_organisation_is_the_same_404_as_any_missing_page(world: World) -> None:
    client = Client()
    unknown = client.get("/r/no-such-org/")
    unknown_form = client.get("/r/no-such-org/ask/")
    # Any missing portal address: the portal's 404 has no link to the staff login.
    random_path = client.get("/r/no/such/page/")
    assert unknown.status_code == unknown_form.status_code == random_path.status_code == 404
    assert b'href="/"' not in unknown.content
    assert without_tokens(unknown.content) == without_tokens(random_path.content)
    assert without_tokens(unknown_form.content) == without_tokens(random_path.content)


@override_settings(REFUGE_ONION_LOCATION=ONION)
def test_portal_pages_offer_the_onion_address_of_the_same_page(world: World) -> None:
    client = Client()
    assert client.get("/r/north/")["Onion-Location"] == f"{ONION}/r/north/"
    assert client.get("/r/status/")["Onion-Location"] == f"{ONION}/r/status/"
    assert "aaaaaaaa" in client.get("/r/north/").content.decode()  # also shown to clearnet visitors


def test_without_an_onion_address_there_is_no_onion_header(world: World) -> None:
    assert "Onion-Location" not in Client().get("/r/north/")


def test_portal_pages_are_never_cached(world: World) -> None:
    for url in ["/r/north/", "/r/north/ask/", "/r/status/", "/r/request/check-in/", "/r/request/staying-safe/"]:
        assert Client().get(url)["Cache-Control"] == "no-store"
