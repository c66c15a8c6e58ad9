"""Browser layer: Playwright driving Debian's Chromium against a live server (make test-browser).

Never `playwright install`: the machine has no network for browser downloads, and
Debian's chromium is the browser CI installs (.ci/run).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.browser import pagechecks
from tests.harness import in_ci

CHROMIUM = Path(os.environ.get("REFUGE_TEST_CHROMIUM", "/usr/bin/chromium"))
# As root in a sandbox with no network: no sandbox, no GPU, and none of the background
# connections to Google that a closed network refuses many times over.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything under tests/browser/ is the browser layer, marked or not, so that
    # `-m "not browser"` never starts Chromium by accident (before -m deselects).
    for item in items:
        if item.nodeid.startswith("tests/browser/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    """pytest-django's live server, on 127.0.0.1 like `refuge demo` (not `localhost`)."""
    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Generator[Browser]:
    """One headless Chromium for the session."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} not found: apt-get install chromium (or set REFUGE_TEST_CHROMIUM)"
        if in_ci():
            pytest.fail(f"browser layer cannot run in CI: {message}", pytrace=False)
        pytest.skip(message)

    # Playwright's sync API keeps an asyncio loop in this thread, and Django then
    # refuses ORM calls from the (synchronous) test code. Allowed for this layer only.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context: `new_page(java_script_enabled=False, locale="ru-RU")`.

    Requester pages are tested with JavaScript off (DESIGN.md §2). Every request
    the page makes is checked: one to a host other than loopback fails the test,
    because a page that loads anything from elsewhere leaks its visitor to elsewhere.
    """
    contexts = []
    escaped: list[str] = []
    seen = pagechecks.PageLog()

    def guard(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOOPBACK_HOSTS:
            escaped.append(url)
            route.abort()
        else:
            route.continue_()

    def make(*, java_script_enabled: bool, locale: str = "en-US") -> Page:
        context = browser.new_context(
            java_script_enabled=java_script_enabled,
            locale=locale,
            viewport={"width": 390, "height": 844},  # a phone: requesters are on phones
        )
        context.set_default_timeout(15_000)
        context.route("**/*", guard)
        seen.watch(context)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert escaped == [], f"the page requested addresses outside this machine: {escaped}"
    check_pages(browser, list(seen.pages.values()))


def check_pages(browser: Browser, pages: list[pagechecks.Seen]) -> None:
    """Every page the test saw, in both languages, passes axe-core and the Nu HTML Checker."""
    if not pages:
        return
    missing = pagechecks.missing_tools()
    if missing:
        pytest.fail(f"the page checks cannot run, missing: {', '.join(missing)} (make checkers)", pytrace=False)
    problems = pagechecks.axe_violations(browser, pages) + pagechecks.html_errors(pages)
    assert problems == [], f"{len(problems)} problems on {len(pages)} pages:\n" + "\n".join(problems)
