"""The intake benchmark's lean client (bench/_lean_client.py: wrk and a Lua script).

Against a small stand-in portal first: what it sends must be what the asyncio client
(tests/support/load.py) sends, byte for byte, with the tokens of the page it was given;
what it reports must be what the portal answered. Then against `refuge serve`: every
acknowledged submission stored, and opened with its receipt, as the benchmark checks it.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench._lean_client import LeanClientError, run_lean_load
from tests.support.load import form_fields, multipart_body, write_sent
from tests.support.server import create_organisation, free_port, refuge_env, run_refuge, running_server

ROOT = Path(__file__).resolve().parents[2]
PATH = "/r/stand-in/ask/"
COOKIE = "__Host-refuge-csrf"
# The stand-in takes this long over a POST: a submitter sends at most 1 / POST_SECONDS a second,
# and MOST_PER_SECOND covers every submitter's (the client makes bodies for that many).
POST_SECONDS = 0.002
MOST_PER_SECOND = 2000


@dataclass
class StandIn:
    """What the stand-in portal handed out and was sent."""

    port: int = 0
    # receipt → (the POST's headers, its body, the CSRF token and form token of the page it came from)
    posts: dict[str, tuple[dict[str, str], bytes, str, str]] = field(default_factory=dict)
    # Tokens of the form pages given, by CSRF cookie value.
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)
    refuse_every: int = 0
    refused: int = 0
    # The POST of this number (from 0) is never answered, its connection held open until `release`.
    hang_at: int | None = None
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: itertools.count[int] = field(default_factory=itertools.count)


def _receipt(number: int) -> str:
    digits = f"{number:020d}".translate(str.maketrans("0123456789", "ABCDEFGHJK"))
    return "-".join(digits[i : i + 4] for i in range(0, 20, 4))


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _answer(self, status: int, page: str, headers: dict[str, str] | None = None) -> None:
            body = page.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if self.close_connection:  # the request said "Connection: close": so does the answer, as servers do
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            cookie, csrf, token = secrets.token_hex(16), secrets.token_hex(16), secrets.token_hex(12)
            with state.lock:
                state.pages[cookie] = (csrf, token)
            form = (
                f'<title>Ask</title><form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
                f'<input type="hidden" name="form_token" value="{token}"></form>'
            )
            cookies = {"Set-Cookie": f"{COOKIE}={cookie}; Path=/; Secure; HttpOnly; SameSite=Strict"}
            self._answer(200, form, cookies)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(POST_SECONDS)
            cookie = (self.headers.get("Cookie") or "").removeprefix(f"{COOKIE}=")
            with state.lock:
                number = next(state.counter)
                csrf, token = state.pages.get(cookie, ("", ""))
                refuse = state.refuse_every and number % state.refuse_every == 0
                state.refused += bool(refuse)
            if number == state.hang_at:
                state.release.wait(60)
                self.close_connection = True
                return
            if refuse:
                self._answer(400, '<ul class="error-summary__list"><li>This form was <b>already</b> sent.</li></ul>')
                return
            receipt = _receipt(number)
            with state.lock:
                state.posts[receipt] = (dict(self.headers.items()), body, csrf, token)
            groups = "".join(f'<span class="receipt__group">{group}</span>' for group in receipt.split("-"))
            self._answer(200, f"<title>Sent</title><p>{groups}</p>")

    return Handler


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()


def test_it_posts_what_the_asyncio_client_posts_with_the_tokens_of_its_page(stand_in: StandIn) -> None:
    report = run_lean_load(stand_in.port, PATH, clients=3, seconds=1.0, warm_up=0.5, most_per_second=MOST_PER_SECOND)

    assert report.error_count == 0, report.describe_errors()
    assert report.sent and len(report.sent) == len(stand_in.posts)
    assert 0 < len(report.post_seconds) <= len(report.sent)
    assert report.client_cpu_seconds > 0
    for sent in report.sent:
        headers, body, csrf, token = stand_in.posts[sent.receipt]
        boundary = headers["Content-Type"].removeprefix("multipart/form-data; boundary=")
        assert re.fullmatch(r"----refuge[0-9a-f]{8}-\d+-\d+", boundary)
        tokens = [("csrfmiddlewaretoken", csrf), ("form_token", token)]
        assert body == multipart_body(tokens + form_fields(sent.answers, sent.urgency), boundary)
        assert csrf and token
        assert headers["Origin"] == "null" and headers["Sec-Fetch-Site"] == "same-origin"
        assert headers["Connection"] in ("close", "keep-alive") and headers["User-Agent"] == "refuge-load/1"
    stories = [sent.answers["what_happened"] for sent in report.sent]
    assert len(set(stories)) == len(stories), "each body is sent once"


def test_only_each_submitters_last_post_sent_after_the_deadline_keeps_its_connection(stand_in: StandIn) -> None:
    # After a "Connection: close" answer wrk opens a new connection even in a thread that has
    # just stopped; left idle, it would hold one of a gunicorn worker's threads (see the script).
    report = run_lean_load(stand_in.port, PATH, clients=3, seconds=1.0, most_per_second=MOST_PER_SECOND)

    assert report.error_count == 0, report.describe_errors()
    by_thread: dict[str, list[tuple[int, str]]] = {}
    for headers, _body, _csrf, _token in stand_in.posts.values():
        _run, thread, index = headers["Content-Type"].rpartition("boundary=")[2].rsplit("-", 2)
        by_thread.setdefault(thread, []).append((int(index), headers["Connection"]))
    assert sorted(by_thread) == ["1", "2", "3"]
    for posts in by_thread.values():
        *earlier, (_last, kept) = sorted(posts)
        assert kept == "keep-alive" and earlier and {connection for _index, connection in earlier} == {"close"}


def test_refused_posts_are_errors_with_what_the_page_said(stand_in: StandIn) -> None:
    stand_in.refuse_every = 3

    report = run_lean_load(stand_in.port, PATH, clients=2, seconds=1.0, most_per_second=MOST_PER_SECOND)

    assert report.errors["POST answered 400"] == stand_in.refused > 0
    assert report.examples["POST answered 400"][0] == "This form was already sent."
    assert len(report.sent) == len(stand_in.posts)


def test_a_post_never_answered_is_reported_with_what_its_submitter_waited_for(stand_in: StandIn) -> None:
    # wrk has no timeout of its own: a connection the server neither answers nor closes holds
    # its thread to the end of the run, and the report must say which request it waited for.
    stand_in.hang_at = 2

    report = run_lean_load(stand_in.port, PATH, clients=2, seconds=1.0, grace=1.0, most_per_second=MOST_PER_SECOND)

    assert report.error_count == report.errors["a submitter was cut off by the end of the run"] == 1
    (example,) = report.examples["a submitter was cut off by the end of the run"]
    assert re.fullmatch(r"thread [12]: no answer to its POST, sent \d+\.\d s before wrk ended", example), example
    assert len(report.sent) == len(stand_in.posts) > 2


def test_a_portal_that_is_not_there_is_an_error_not_a_hang() -> None:
    with pytest.raises(LeanClientError, match="unable to connect"):
        run_lean_load(free_port(), PATH, clients=2, seconds=0.5)


@pytest.mark.slow
def test_every_submission_it_acknowledges_from_refuge_serve_is_stored_and_opens(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    create_organisation(data_dir, slug="lean", coordinator="coord", password=secrets.token_urlsafe(24))
    with running_server(data_dir, workers=2, REFUGE_SUBMISSIONS_PER_MINUTE="1000000") as server:
        report = run_lean_load(server.port, "/r/lean/ask/", clients=8, seconds=2.0, warm_up=0.5)
    log = server.log_path.read_text(errors="replace")[-3000:]
    assert report.error_count == 0, f"{report.describe_errors()}\n{log}"
    assert len(report.sent) >= 8

    sent_file, output = tmp_path / "sent.json", tmp_path / "verified.json"
    write_sent(report.sent, sent_file)
    command = [sys.executable, "-m", "tests.support.load", "verify", str(sent_file), str(output), "10"]
    subprocess.run(command, cwd=ROOT, env=refuge_env(data_dir), check=True, timeout=300)
    verified = json.loads(output.read_text())

    assert verified["missing"] == verified["unacknowledged"] == 0, verified
    assert verified["stored"] == verified["distinct_receipts"] == len(report.sent), verified
    assert verified["opened"] == 10 and verified["mismatched"] == [], verified
