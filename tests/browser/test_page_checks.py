"""The page checks run over every page of the browser layer; here they are shown to bite."""

from __future__ import annotations

from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from tests.browser import pagechecks

BAD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad</title></head>
<body>
<a href="https://example.org/">Leave</a>
<main id="main">
<form method="get" action=""><button>Go</button></form>
<p><time datetime="2026-12-07T12:28:02.579139+00:00">today</time></p>
<img src="data:,">
</main>
</body></html>"""

GOOD = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Good</title></head>
<body><main id="main"><h1>Good</h1><p><time datetime="2026-12-07T12:28:02+0000">today</time></p></main></body>
</html>"""


def test_the_checkers_report_what_the_red_team_found(browser: Browser, live_server: LiveServer):
    bad = [pagechecks.Seen(f"{live_server.url}/nothing-here/", "en", BAD)]
    problems = pagechecks.axe_violations(browser, bad) + pagechecks.html_errors(bad)
    assert any(p.startswith("axe region") and "nothing-here" in p for p in problems)
    assert any(p.startswith("axe image-alt") for p in problems)
    assert any("“action”" in p and "Must be non-empty" in p for p in problems)
    assert any("fraction of a second" in p for p in problems)


def test_a_clean_page_passes_both_checkers(browser: Browser, live_server: LiveServer):
    good = [pagechecks.Seen(f"{live_server.url}/nothing-here/", "en", GOOD)]
    assert pagechecks.axe_violations(browser, good) + pagechecks.html_errors(good) == []
