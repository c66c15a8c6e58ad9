"""Many requesters at once: an asyncio HTTP/1.1 client for the load test and the intake benchmark.

Each submitter loops, a new person each time: on a new connection, kept alive
from the form to its answer as a browser does, GET the request form (CSRF cookie,
CSRF token, one-time form token), POST it back as multipart/form-data with fresh
answers, and keep the receipt of every 200 page that shows one. Every other
outcome is an error: a status other than 200, a timeout, a broken connection, or a
200 page without a receipt. (New connections also spread the submitters over the
server's workers as real visitors are; 64 connections held for the whole run would
stay with whichever worker accepted them.)

A request sent on a reused connection that the server had already closed (a
gunicorn worker that restarts after `max_requests` drops its idle keep-alive
connections) is sent once more on a new connection, as browsers do, and counted
in `LoadReport.retries`. That is safe for the POST too: if the first copy had been
stored, its one-time form token would make the server refuse the second, and the
refusal would be counted as an error.

The client keeps cookies itself (see tests/support/http.py): the `__Host-` cookies
are Secure, and a loopback test server speaks plain http.

`python -m tests.support.load verify …`, run with the server's production settings
(tests.support.server.refuge_env), checks what a run acknowledged against the
database: see `verify_stored`. `… load …` runs a load from a process of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# What one request may take before it counts as an error (a person would have given up).
REQUEST_TIMEOUT = 30.0
# After an error a submitter pauses this long, so a dead server is not hammered in a tight loop.
ERROR_PAUSE = 0.05
EXAMPLES_PER_KIND = 3
# Names the client in the requests; the server keeps no access log, so nothing records it.
USER_AGENT = "refuge-load/1"
_CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
_FORM_TOKEN = re.compile(rb'name="form_token" value="([^"]+)"')
_RECEIPT_GROUP = re.compile(rb'<span class="receipt__group">([0-9A-Z]{4})</span>')
# The error summary of a refused form (refuge/templates/includes/form_errors.html), else the page title.
_ERROR_SUMMARY = re.compile(rb'class="error-summary__list"[^>]*>(.*?)</ul>', re.S)
_TITLE = re.compile(rb"<title>(.*?)</title>", re.S)
_TAG = re.compile(rb"<[^>]+>")

# Answers are drawn from these, so that names, phones and document numbers repeat
# now and then (the blind indexes see duplicates) and every story is different.
_GIVEN = ["Юрий", "Анна", "Ислам", "Мария", "Timur", "Olga", "Азамат", "Elena", "Руслан", "Dmitry"]
_FAMILY = ["Иванов", "Петрова", "Magomedov", "Смирнова", "Kadyrova", "Орлов", "Sokolov", "Хасанова"]
_PLACES = ["Makhachkala", "Казань", "Grozny", "Санкт-Петербург", "Tbilisi", "Yerevan", "Нальчик", "Almaty"]
_PHRASES = [
    "police came to the flat",
    "they took my phone and my passport",
    "они угрожали моей семье",
    "I was detained for two days",
    "after a friend was arrested",
    "нас видели вместе",
    "my employer was told and I lost my job",
    "соседи пишут в полицию",
    "I cannot go home",
]


def requester_answers(rng: random.Random, serial: str) -> tuple[dict[str, Any], str]:
    """A plausible, unique set of answers for the request form, and its urgency.

    The serial is written into the story, so a stored request can be matched to
    the submission that sent it.
    """
    story = ", ".join(rng.choice(_PHRASES) for _ in range(rng.randint(5, 60)))
    given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
    documents = rng.choice([["internal_passport"], ["international_passport", "internal_passport"], ["none"], []])
    answers: dict[str, Any] = {
        "what_happened": f"Submission {serial}. {story}",
        "where_now": rng.choice(_PLACES),
        "contact": rng.choice(["Signal after 20:00", "only answer here, never call", ""]),
        "name": f"{given} {family}" if rng.random() < 0.8 else "",
        "phone": f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
        "documents": documents,
        "document_number": f"{rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(100000, 999999)}"
        if documents and documents != ["none"]
        else "",
        "others_at_risk": rng.choice(["My partner", "Two children, 4 and 7", ""]),
        "languages": rng.choice([["ru"], ["ru", "en"], ["other"], []]),
        "languages_other": "",
        "anything_else": rng.choice(["I can only write at night.", "", "Пишите только здесь."]),
    }
    if "other" in answers["languages"]:
        answers["languages_other"] = "Chechen"
    return answers, rng.choice(["now", "weeks", "later"])


def multipart_body(fields: list[tuple[str, str]], boundary: str) -> bytes:
    """A multipart/form-data body as a browser sends the request form, with its empty file input."""
    dash = f"--{boundary}\r\n".encode()
    parts = []
    for name, value in fields:
        parts.append(
            dash + f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        )
    # A file input left empty: browsers send a part with an empty file name.
    parts.append(
        dash
        + b'Content-Disposition: form-data; name="files"; filename=""\r\n'
        + b"Content-Type: application/octet-stream\r\n\r\n\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def form_fields(answers: dict[str, Any], urgency: str) -> list[tuple[str, str]]:
    """The answers as the form's (name, value) pairs: lists become repeated fields."""
    fields: list[tuple[str, str]] = [("urgency", urgency)]
    for name, value in answers.items():
        if isinstance(value, list):
            fields += [(name, item) for item in value]
        else:
            fields.append((name, value))
    return fields


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name), None)


class StaleConnection(ConnectionError):
    """The server closed a kept-alive connection before answering anything on it."""


class Connection:
    """One keep-alive HTTP/1.1 connection to the server, reopened when the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.retries = 0

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, raw: bytes) -> Reply:
        """Send one request and read its answer; once more on a new connection if a reused one was stale."""
        try:
            return await self._send_once(raw)
        except StaleConnection:
            self.close()
            self.retries += 1
            return await self._send_once(raw)

    async def _send_once(self, raw: bytes) -> Reply:
        reused = self.writer is not None
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.reader, self.writer
        try:
            writer.write(raw)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as error:
            partial = getattr(error, "partial", b"")
            self.close()
            if reused and not partial:
                raise StaleConnection from error
            raise
        reply = await self._read_rest(head, reader)
        if (reply.header("connection") or "").lower() == "close":
            self.close()
        return reply

    async def _read_rest(self, head: bytes, reader: asyncio.StreamReader) -> Reply:
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = []
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.append((name.strip().lower(), value.strip()))
        reply = Reply(status, headers, b"")
        length = reply.header("content-length")
        if length is not None:
            reply.body = await reader.readexactly(int(length))
        elif (reply.header("transfer-encoding") or "").lower() == "chunked":
            reply.body = await self._read_chunks(reader)
        else:
            reply.body = await reader.read()
            self.close()
        return reply

    @staticmethod
    async def _read_chunks(reader: asyncio.StreamReader) -> bytes:
        chunks: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)


@dataclass
class Sent:
    """One acknowledged submission: the receipt the server showed and what was sent."""

    receipt: str
    answers: dict[str, Any]
    urgency: str


@dataclass
class LoadReport:
    clients: int
    # The measured window (after the warm-up), in seconds.
    seconds: float
    # Every acknowledged submission, warm-up included: each must be in the database.
    sent: list[Sent] = field(default_factory=list)
    # Latencies of the requests that finished inside the measured window.
    post_seconds: list[float] = field(default_factory=list)
    get_seconds: list[float] = field(default_factory=list)
    # Kind of error → count, and a few examples of each.
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    retries: int = 0
    # CPU time of this (client) process and the wall-clock time it covers, for its share.
    client_cpu_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def per_second(self) -> float:
        """Acknowledged submissions per second in the measured window."""
        return len(self.post_seconds) / self.seconds if self.seconds else 0.0

    def client_cpu_share(self, cores: int) -> float:
        """The client's share of all the machine's CPU time while it ran (0.0 to 1.0)."""
        return self.client_cpu_seconds / max(1e-9, self.wall_seconds * cores)

    def describe_errors(self) -> str:
        if not self.errors:
            return "no errors"
        lines = [f"{self.error_count} errors:"]
        for kind, count in self.errors.most_common():
            lines.append(f"  {count} × {kind}")
            lines += [f"      e.g. {example}" for example in self.examples.get(kind, [])]
        return "\n".join(lines)


class LoadRun:
    """Shared state of one load run: the clock, the report, the requests' fixed parts."""

    def __init__(self, host: str, port: int, path: str, report: LoadReport, warm_up: float) -> None:
        self.host, self.port, self.path = host, port, path
        self.report = report
        self.start = time.monotonic()
        self.measure_from = self.start + warm_up
        self.stop_at = self.measure_from + report.seconds
        self.run_id = os.urandom(4).hex()

    def error(self, kind: str, example: str) -> None:
        self.report.errors[kind] += 1
        examples = self.report.examples.setdefault(kind, [])
        if len(examples) < EXAMPLES_PER_KIND:
            examples.append(example[:300])

    def request(self, method: str, cookies: dict[str, str], body: bytes = b"", content_type: str = "") -> bytes:
        lines = [
            f"{method} {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"User-Agent: {USER_AGENT}",
            "Accept-Language: en",
            "Connection: keep-alive",
        ]
        if cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()))
        if method == "POST":
            # What a browser sends on a same-origin form post from a no-referrer page (refuge/core/csrf.py).
            lines += ["Origin: null", "Sec-Fetch-Site: same-origin", f"Content-Type: {content_type}"]
            lines.append(f"Content-Length: {len(body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    def in_window(self, finished: float) -> bool:
        return self.measure_from <= finished <= self.stop_at


def keep_cookies(cookies: dict[str, str], reply: Reply) -> None:
    """Remember the Set-Cookie headers of a reply (Secure or not), forgetting expired ones."""
    for name, value in reply.headers:
        if name != "set-cookie":
            continue
        pair, _, attributes = value.partition(";")
        key, _, content = pair.partition("=")
        lowered = attributes.lower()
        if "max-age=0" in lowered or "expires=thu, 01 jan 1970" in lowered or content in {"", '""'}:
            cookies.pop(key.strip(), None)
        else:
            cookies[key.strip()] = content


def _page_error(reply: Reply) -> str:
    """What a refused page says, for the error examples (the form's messages, without markup)."""
    found = _ERROR_SUMMARY.search(reply.body) or _TITLE.search(reply.body)
    text = found.group(1) if found else reply.body[:200]
    return " ".join(_TAG.sub(b" ", text).decode("utf-8", "replace").split())


async def _submitter(run: LoadRun, number: int) -> None:
    rng = random.Random(f"{run.run_id}-{number}")
    serial = 0
    while time.monotonic() < run.stop_at:
        serial += 1
        # A new person each time: a new connection (kept alive from the form to its answer), no cookies.
        connection = Connection(run.host, run.port)
        try:
            succeeded = await submit_once(run, connection, rng, f"{run.run_id}-{number}-{serial}")
        finally:
            run.report.retries += connection.retries
            connection.close()
        if not succeeded:
            await asyncio.sleep(ERROR_PAUSE)


async def submit_once(
    run: LoadRun,
    connection: Connection,
    rng: random.Random,
    serial: str,
    *,
    urgency: str | None = None,
    answers_of: Callable[[random.Random, str], tuple[dict[str, Any], str]] | None = None,
) -> bool:
    """One requester: GET the form, POST the answers, keep the receipt. False after an error.

    `urgency` fixes the answer to "how urgent" (e.g. "now" for a flood of false alarms);
    `answers_of` draws the answers instead of `requester_answers` (bench/flood.py's junk)."""
    cookies: dict[str, str] = {}
    began = time.monotonic()
    form = await _exchange(run, connection, run.request("GET", cookies), "GET")
    got = time.monotonic()
    if form is None:
        return False
    keep_cookies(cookies, form)
    csrf, token = _CSRF.search(form.body), _FORM_TOKEN.search(form.body)
    if form.status != 200 or csrf is None or token is None:
        run.error(f"GET answered {form.status} without the form", _page_error(form))
        return False
    answers, drawn = (answers_of or requester_answers)(rng, serial)
    urgency = urgency or drawn
    fields = [("csrfmiddlewaretoken", csrf.group(1).decode()), ("form_token", token.group(1).decode())]
    boundary = f"----refuge{serial}"
    body = multipart_body(fields + form_fields(answers, urgency), boundary)
    raw = run.request("POST", cookies, body, f"multipart/form-data; boundary={boundary}")
    answered = await _exchange(run, connection, raw, "POST")
    posted = time.monotonic()
    if answered is None:
        return False
    groups = _RECEIPT_GROUP.findall(answered.body)
    if answered.status != 200:
        run.error(f"POST answered {answered.status}", _page_error(answered))
        return False
    if len(groups) != 5:
        run.error("POST answered 200 without a receipt", _page_error(answered))
        return False
    run.report.sent.append(Sent("-".join(group.decode() for group in groups), answers, urgency))
    if run.in_window(posted):
        run.report.post_seconds.append(posted - got)
        run.report.get_seconds.append(got - began)
    return True


async def _exchange(run: LoadRun, connection: Connection, raw: bytes, method: str) -> Reply | None:
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            return await connection.send(raw)
    except TimeoutError:
        run.error(f"{method} timed out after {REQUEST_TIMEOUT:.0f} s", f"{method} {run.path}")
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        run.error(f"{method} failed: {type(error).__name__}", f"{method} {run.path}: {error!r}")
    return None


async def _load(host: str, port: int, path: str, clients: int, seconds: float, warm_up: float) -> LoadReport:
    report = LoadReport(clients=clients, seconds=seconds)
    run = LoadRun(host, port, path, report, warm_up)
    cpu_before, wall_before = time.process_time(), time.monotonic()
    await asyncio.gather(*(_submitter(run, number) for number in range(clients)))
    report.client_cpu_seconds = time.process_time() - cpu_before
    report.wall_seconds = time.monotonic() - wall_before
    return report


def run_load(
    port: int, path: str, *, clients: int, seconds: float, warm_up: float = 0.0, host: str = "127.0.0.1"
) -> LoadReport:
    """`clients` requesters submit the form at `path` in a loop for warm_up + seconds; what came back."""
    return asyncio.run(_load(host, port, path, clients, seconds, warm_up))


# --- checking what was stored (run in a process with the server's production settings) ----------


def write_sent(sent: list[Sent], path: Path) -> None:
    path.write_text(json.dumps([asdict(item) for item in sent], ensure_ascii=False), encoding="utf-8")


def read_sent(path: Path) -> list[Sent]:
    return [Sent(**item) for item in json.loads(path.read_text(encoding="utf-8"))]


def verify_stored(sent: list[Sent], sample: int) -> dict[str, Any]:
    """Compare the acknowledged submissions with the requests in the database (Django set up).

    Every receipt's lookup id (keyed hash with the pepper) must name a stored request,
    no stored request may lack an acknowledgement, and for `sample` of them the
    request opened with the receipt (`access_by_receipt`, as the requester would)
    must hold exactly the answers and urgency that were sent.
    """
    from django.conf import settings

    from refuge.crypto import derive_receipt_secrets
    from refuge.intake.access import access_by_receipt
    from refuge.intake.models import HelpRequest
    from refuge.intake.queries import read_answers

    lookups = {derive_receipt_secrets(item.receipt, settings.REFUGE_RECEIPT_PEPPER).lookup_id.hex() for item in sent}
    stored = set(HelpRequest.objects.values_list("lookup_id", flat=True))
    mismatched = []
    for item in random.Random(0).sample(sent, min(sample, len(sent))):
        opened = access_by_receipt(item.receipt)
        answers = read_answers(opened.request, opened.secret)
        if answers != {**item.answers, "custom": {}} or opened.request.urgency != item.urgency:
            mismatched.append(item.receipt[:4] + "…")
    return {
        "acknowledged": len(sent),
        "distinct_receipts": len(lookups),
        "stored": len(stored),
        "missing": len(lookups - stored),
        "unacknowledged": len(stored - lookups),
        "opened": min(sample, len(sent)),
        "mismatched": mismatched,
    }


USAGE = """usage:
  python -m tests.support.load verify SENT.json OUTPUT.json SAMPLE   (with the server's production settings)
  python -m tests.support.load load PORT PATH CLIENTS SECONDS OUTCOME.json"""


def main(argv: list[str]) -> None:
    if len(argv) == 4 and argv[0] == "verify":
        import django

        django.setup()
        result = verify_stored(read_sent(Path(argv[1])), int(argv[3]))
        Path(argv[2]).write_text(json.dumps(result), encoding="utf-8")
    elif len(argv) == 6 and argv[0] == "load":
        report = run_load(int(argv[1]), argv[2], clients=int(argv[3]), seconds=float(argv[4]))
        outcome = {"sent": [asdict(item) for item in report.sent], "errors": report.errors, "examples": report.examples}
        Path(argv[5]).write_text(json.dumps(outcome, ensure_ascii=False), encoding="utf-8")
    else:
        raise SystemExit(USAGE)


if __name__ == "__main__":
    main(sys.argv[1:])
