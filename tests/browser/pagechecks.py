"""Independent checks over every page the browser layer visits, in English and Russian.

Two tools that know nothing of Refuge judge the HTML the tests saw: axe-core (accessibility,
run inside Chromium) and the Nu HTML Checker (vnu.jar, run with Debian's Java). Both come
pinned from the npm registry (tests/browser/checkers/package-lock.json, `make checkers`), so a
page a new capability adds is held to the same bar without anyone listing it.

Each page is checked as it was served, and again in the other language: the same URL fetched
with the same session cookies and the other language cookie.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Response, Route

CHECKERS = Path(__file__).resolve().parent / "checkers" / "node_modules"
AXE = CHECKERS / "axe-core" / "axe.min.js"
VNU = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
LANGUAGE_COOKIE = "__Host-refuge-lang"
LANGUAGES = ("en", "ru")


# Reviewed exceptions, each with its reason: (path, axe rule) → why the page must break it.
_CLOSES_ITSELF = (
    "The request page (and the page after a reply) closes itself when the portal session ends (30 minutes), without JavaScript, "
    "so that a phone left unattended stops showing the request; the page says so (issue #16, item 17)."
)
ACCEPTED = {
    ("/r/request/", "meta-refresh"): _CLOSES_ITSELF,
    ("/r/request/sent/", "meta-refresh"): _CLOSES_ITSELF,
    # The same request page after the requester answers a consent question (issue #14).
    ("/r/request/answered/", "meta-refresh"): _CLOSES_ITSELF,
}


def missing_tools() -> list[str]:
    """What the page checks need and this machine lacks (empty when they can run)."""
    missing = [str(path) for path in (AXE, VNU) if not path.is_file()]
    if shutil.which("java") is None:
        missing.append("java (Debian's default-jre-headless)")
    return missing


@dataclass(frozen=True)
class Seen:
    url: str
    language: str
    html: str


@dataclass
class PageLog:
    """The HTML documents one test's pages received, keyed by URL and language."""

    pages: dict[tuple[str, str], Seen] = field(default_factory=dict)

    def watch(self, context: BrowserContext) -> None:
        context.on("response", lambda response: self._record(context, response))

    def _record(self, context: BrowserContext, response: Response) -> None:
        request = response.request
        if request.resource_type != "document" or request.method != "GET" or response.status != 200:
            return
        if not response.headers.get("content-type", "").startswith("text/html"):
            return
        if urlsplit(response.url).hostname not in {"127.0.0.1", "localhost"}:
            return  # a page a test stands in for another site with (e.g. where Leave quickly goes)
        html = response.text()
        self._add(response.url, html)
        for language in LANGUAGES:
            if (response.url, language) not in self.pages:
                other = _fetch(response.url, context, language)
                if other is not None:
                    self._add(response.url, other)

    def _add(self, url: str, html: str) -> None:
        language = _language_of(html)
        self.pages.setdefault((url, language), Seen(url, language, html))


def _language_of(html: str) -> str:
    head = html[:500]
    start = head.find('<html lang="')
    return head[start + 12 : head.find('"', start + 12)] if start >= 0 else ""


def _fetch(url: str, context: BrowserContext, language: str) -> str | None:
    """The same page with the browser's cookies, in `language`; None if it is not served twice."""
    cookies = {c["name"]: c["value"] for c in context.cookies(url) if c["name"] != LANGUAGE_COOKIE}
    cookies[LANGUAGE_COOKIE] = language
    request = urllib.request.Request(  # noqa: S310 (a loopback URL the test's own browser visited)
        url,
        headers={
            "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
            "Accept-Language": language,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:  # noqa: S310
            if answer.status != 200 or not answer.headers.get("content-type", "").startswith("text/html"):
                return None
            return answer.read().decode()
    except urllib.error.URLError:
        return None


def axe_violations(browser: Browser, pages: list[Seen]) -> list[str]:
    """axe-core's violations on each page, rendered from the HTML the test saw (JavaScript on)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    current: dict[str, Seen] = {}

    def serve(route: Route) -> None:
        seen = current["page"]
        request = route.request
        if request.resource_type == "document" and request.url == seen.url:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=seen.html)
        elif urlsplit(request.url).hostname in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            route.abort()

    problems: list[str] = []
    try:
        page = context.new_page()
        page.route("**/*", serve)
        for seen in pages:
            current["page"] = seen
            page.goto(seen.url)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
            for violation in result["violations"]:
                if (urlsplit(seen.url).path, violation["id"]) in ACCEPTED:
                    continue
                targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
                problems.append(
                    f"axe {violation['id']} on {seen.url} [{seen.language}]: {violation['help']} ({targets})"
                )
    finally:
        context.close()
    return problems


def html_errors(pages: list[Seen]) -> list[str]:
    """The Nu HTML Checker's errors on each page, as served."""
    with tempfile.TemporaryDirectory(prefix="refuge-vnu-") as folder:
        files: dict[str, Seen] = {}
        for number, seen in enumerate(pages):
            path = Path(folder) / f"page-{number}.html"
            path.write_text(seen.html, encoding="utf-8")
            files[path.name] = seen
        finished = subprocess.run(
            ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--exit-zero-always"]
            + [str(Path(folder) / name) for name in files],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    problems = []
    for message in json.loads(finished.stderr or finished.stdout)["messages"]:
        seen = files.get(message.get("url", "").rsplit("/", 1)[-1])
        where = f"{seen.url} [{seen.language}]" if seen else message.get("url", "?")
        problems.append(f"html {where} line {message.get('lastLine', '?')}: {message['message']}")
    return problems
