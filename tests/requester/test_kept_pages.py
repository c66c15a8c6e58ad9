"""The form and receipt pages are rendered once and reused: every response still gets its own tokens."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from refuge.accounts.models import Organisation
from refuge.intake.models import HelpRequest, IntakeQuestion
from refuge.requester.views import pages
from tests.personas import World, without_tokens
from tests.requester.helpers import ANSWERS, form_token, page, receipt_in

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def nothing_kept() -> None:
    pages.clear()


def _kept() -> list[str]:
    with pages._cache.lock:
        return list(pages._cache.pages.values())


def _csrf_tokens(html: str) -> list[str]:
    return CSRF_FIELD.findall(html)


def test_every_form_page_gets_its_own_csrf_and_form_tokens(world: World) -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    one, two = page(first, "/r/north/ask/"), page(second, "/r/north/ask/")

    assert len(_kept()) == 1
    assert form_token(one) != form_token(two)
    # The language switch and the request form carry this response's token, masked afresh.
    assert len(set(_csrf_tokens(one))) == 1 and len(_csrf_tokens(one)) == 2
    assert set(_csrf_tokens(one)).isdisjoint(_csrf_tokens(two))
    assert without_tokens(one.encode()) == without_tokens(two.encode())
    # Each page's tokens work with its own cookie, once.
    for client, html in ((first, one), (second, two)):
        data = {**ANSWERS, "form_token": form_token(html), "csrfmiddlewaretoken": _csrf_tokens(html)[0]}
        response = client.post("/r/north/ask/", data, HTTP_ORIGIN="null", HTTP_SEC_FETCH_SITE="same-origin")
        assert receipt_in(response.content.decode())
    assert HelpRequest.objects.count() == 2


def test_a_kept_page_holds_no_token_and_no_receipt(world: World) -> None:
    client = Client()
    html = page(client, "/r/north/ask/")
    response = client.post("/r/north/ask/", {**ANSWERS, "form_token": form_token(html)})
    receipt = receipt_in(response.content.decode())

    kept = "".join(_kept())
    assert form_token(html) not in kept
    assert all(token not in kept for token in _csrf_tokens(html))
    for group in receipt.split("-"):
        assert f">{group}<" not in kept
    assert client.cookies["__Host-refuge-csrf"].value not in kept


def test_the_same_receipt_page_shows_every_requester_their_own_receipt(world: World) -> None:
    receipts = []
    for _ in range(2):
        client = Client()
        html = page(client, "/r/north/ask/")
        receipts.append(
            receipt_in(client.post("/r/north/ask/", {**ANSWERS, "form_token": form_token(html)}).content.decode())
        )
    assert receipts[0] != receipts[1]
    assert len(_kept()) == 2  # the form and the receipt page


def test_a_changed_question_or_name_is_shown_at_once(world: World) -> None:
    before = page(Client(), "/r/north/ask/")
    question = IntakeQuestion.objects.create(
        organisation=world.north, kind="text", label_en="Which town?", label_ru="Какой город?", position=1
    )
    assert "Which town?" not in before
    assert "Which town?" in page(Client(), "/r/north/ask/")

    IntakeQuestion.objects.filter(pk=question.pk).update(label_en="Which village?")
    assert "Which village?" in page(Client(), "/r/north/ask/")
    IntakeQuestion.objects.filter(pk=question.pk).update(active=False)
    assert "Which village?" not in page(Client(), "/r/north/ask/")

    Organisation.objects.filter(pk=world.north.pk).update(name="Nord Rainbow")
    assert "Nord Rainbow" in page(Client(), "/r/north/ask/")


def test_each_language_has_its_own_page(world: World) -> None:
    english = page(Client(), "/r/north/ask/", "en")
    russian = page(Client(), "/r/north/ask/", "ru")
    assert "Your request" in english and "Your request" not in russian
    assert '<html lang="ru">' in russian
    assert page(Client(), "/r/north/ask/", "en").count("Your request") == english.count("Your request")


def test_a_page_with_a_query_string_is_rendered_and_not_kept(world: World) -> None:
    html = page(Client(), "/r/north/ask/?from=<script>")

    assert "<script>" not in html
    assert form_token(html)
    assert _kept() == []


def test_changed_settings_are_shown_at_once(world: World) -> None:
    page(Client(), "/r/north/ask/")
    with override_settings(STATIC_URL="/assets/"):
        assert 'href="/assets/requester/portal.css"' in page(Client(), "/r/north/ask/")
    assert 'href="/assets/requester/portal.css"' not in page(Client(), "/r/north/ask/")


def test_a_form_that_comes_back_with_errors_is_never_kept(world: World) -> None:
    client = Client()
    html = page(client, "/r/north/ask/")
    typed = {**ANSWERS, "what_happened": "", "contact": "Only via my sister Zarema", "form_token": form_token(html)}
    response = client.post("/r/north/ask/", typed)

    assert response.status_code == 400
    assert "Only via my sister Zarema" in response.content.decode()
    assert all("Zarema" not in kept for kept in _kept())
