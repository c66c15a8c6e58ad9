"""Forms work under Referrer-Policy: no-referrer, and forged posts still fail."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FORM = {"organisation": "x1", "username": "x1", "password": "x", "code": "123456"}


def _post(origin: str | None, fetch_site: str | None, *, with_token: bool = True) -> int:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    data = dict(FORM)
    if with_token:
        data["csrfmiddlewaretoken"] = page.context["csrf_token"]
    headers = {}
    if origin is not None:
        headers["HTTP_ORIGIN"] = origin
    if fetch_site is not None:
        headers["HTTP_SEC_FETCH_SITE"] = fetch_site
    return client.post("/login/", data, **headers).status_code


def test_a_same_origin_post_with_a_null_origin_is_accepted() -> None:
    # What Chromium and Firefox send under Referrer-Policy: no-referrer.
    assert _post("null", "same-origin") == 400  # reaches the form: a login error, not CSRF


def test_a_null_origin_from_another_site_is_refused() -> None:
    assert _post("null", "cross-site") == 403
    assert _post("null", None) == 403


def test_a_foreign_origin_is_refused_even_with_a_token() -> None:
    assert _post("https://evil.example", "cross-site") == 403


def test_a_post_without_the_token_is_refused() -> None:
    assert _post("null", "same-origin", with_token=False) == 403


def test_no_cookie_outlives_the_browser_session() -> None:
    # A persistent cookie on a seized phone would show that Refuge was visited.
    response = Client().get("/login/")
    for cookie in response.cookies.values():
        assert not cookie["expires"], cookie.key
        assert not cookie["max-age"], cookie.key
