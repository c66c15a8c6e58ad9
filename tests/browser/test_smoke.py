"""The browser layer works end to end: Chromium, the live server and the security headers."""

from __future__ import annotations

import pytest

from refuge.core.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.browser


def test_the_login_page_opens_without_javascript_and_carries_the_security_headers(live_server, new_page) -> None:
    page = new_page(java_script_enabled=False)
    response = page.goto(f"{live_server.url}/login/")
    assert response is not None
    assert response.status == 200
    headers = response.headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert page.locator("form").count() >= 1


@pytest.mark.urls("tests.browser.cookie_urls")
def test_chromium_keeps_host_prefixed_secure_cookies_on_plain_http_loopback(live_server, new_page) -> None:
    # Refuge's cookies are all __Host- and Secure; the demo serves http://127.0.0.1,
    # which Chromium treats as a secure context. If that changed, nobody could log in.
    page = new_page(java_script_enabled=False)
    page.goto(f"{live_server.url}/set-cookie/")
    page.goto(f"{live_server.url}/read-cookie/")
    assert page.text_content("body") == "cookie=kept"
    (cookie,) = page.context.cookies()
    assert cookie["name"] == "__Host-probe"
    assert cookie["secure"]
    assert cookie["httpOnly"]
