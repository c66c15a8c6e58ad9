"""The writes the crash suite makes, each in two halves: how a client sends it, how it is checked.

An operation (a subclass of `Operation`, added with `@register`) is one kind of write a
person makes through the real server. Both halves live in the class:

- client side (the pytest process, no Django): `ready(client)` says whether this client
  can make it now, `perform(client, attempt)` sends it over HTTP, writing what it sends
  into `attempt.payload` *before* sending and marking the attempt with what came back
  (`Attempt.send` does the marking);
- checking side (the verifier process, Django set up on the server's database, see
  tests/support/crash_verify.py): `check_acknowledged(world, attempt)` opens an
  acknowledged write the way its author would and compares it with what was sent, and
  `expected(world, attempt)` is the content a stored row made by this attempt must have.

Every write carries its attempt's serial inside its encrypted content ("Submission c3-17.",
"Message c3-18:", "Note c3-19:", "Summary c3-20:"), so the verifier, which decrypts every stored row with the team's key,
can tie each row to the one attempt that made it. A *scanner* (`@scanner`) walks one
domain's tables and yields each stored write (`Stored`) with the content it decrypted, or
a problem for anything half-written. The verifier then requires:

- every acknowledged attempt is present and equal to what was sent (both halves agree);
- every stored write belongs to an attempt that was sent and not refused, appears once,
  and is equal to what that attempt sent: a write cut short by the crash is either whole
  or absent.

Edits (`overwrites`: a compartment, the case summary) leave one stored value, not one row
per write: each carries the version it was read at, and the checks tie each stored
version to the edit that made it (see _CaseEdit). Adding an operation: see "Adding an
operation" in docs/development.md.
"""

from __future__ import annotations

import abc
import datetime
import hashlib
import http.client
import io
import json
import random
import re
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pyotp

from tests.support.http import LoopbackClient, Response
from tests.support.load import requester_answers

if TYPE_CHECKING:
    from refuge.cases.models import Case, Compartment
    from refuge.intake.models import HelpRequest
    from tests.support.crash_verify import World

# What happened to an attempt (the ledger's verdict, before the crash is checked).
UNSENT = "unsent"  # failed before the write was sent: must not be stored
IN_FLIGHT = "in-flight"  # the write was being sent when the client was stopped
ACKED = "acked"  # the server said it was stored: must be present and intact
REFUSED = "refused"  # the server answered 4xx: must not be stored
UNKNOWN = "unknown"  # 5xx or the connection died: may be stored, but whole

# The body class of Refuge's error pages (refuge/core/views.py), and how an attempt answered
# with the 400 one is marked (see Attempt.send).
ERROR_PAGE = 'class="page-error"'
SESSION_400 = "HTTP 400 error page"
# Transport failures: what a client sees when the server (or its database) is killed.
TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
RECEIPT_GROUP = re.compile(r'<span class="receipt__group">([0-9A-Z]{4})</span>')
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
MESSAGE_PHRASES = [
    "are you still there",
    "мы в безопасности пока",
    "I have the documents now",
    "they came back",
    "спасибо",
]
# Per request: below the portal's limits (20 requester messages an hour, 30 files).
MAX_MESSAGES_PER_REQUEST = 12
MAX_FILES_PER_REQUEST = 20


@dataclass
class Attempt:
    """One write one client tried, and what the server answered."""

    serial: str
    op: str
    client: int
    cycle: int
    status: str = UNSENT
    detail: str = ""
    # The request it belongs to: its own receipt (a submission, once acknowledged) or its target's.
    receipt: str = ""
    payload: dict[str, Any] = field(default_factory=dict)

    def send(self, call: Callable[[], Response], acknowledged: Callable[[Response], bool]) -> Response | None:
        """Send the write itself, recording its outcome; the response if it was acknowledged."""
        self.status = IN_FLIGHT
        try:
            response = call()
        except TRANSPORT_ERRORS as error:
            self.status, self.detail = UNKNOWN, f"{type(error).__name__}: {error}"[:200]
            return None
        if acknowledged(response):
            self.status, self.detail = ACKED, str(response.status)
            return response
        # 4xx: the server refused and said so; 5xx: it failed somewhere, perhaps after committing.
        self.status = REFUSED if 400 <= response.status < 500 else UNKNOWN
        self.detail = f"HTTP {response.status}"
        if response.status == 400 and ERROR_PAGE in response.text:
            # Not a form's refusal (that shows the form again) but Django's answer to an exception,
            # e.g. SessionInterrupted: the session could not be saved after the view had run,
            # which is after the write committed. Its fate is unknown; the report counts these.
            self.status, self.detail = UNKNOWN, SESSION_400
        return None


@dataclass
class OwnedRequest:
    """A request this client submitted and was given the receipt of (it may write to it)."""

    receipt: str
    messages: int = 0
    files: int = 0
    gone: bool = False  # the server no longer opened it: stop writing to it


@dataclass
class StaffAccount:
    """The caseworker account of one client (made by `refuge createuser`) and its workspace session.

    The session (its cookies) is kept across server restarts, as a browser keeps it: the
    client logs in again only when the workspace sends it to the login page.
    """

    username: str
    password: str
    totp_secret: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""  # a CSRF token of the live session; "" while logged out
    last_step: int = 0  # the newest TOTP time step this account has sent
    logins: int = 0


@dataclass
class CaseTarget:
    """A case a client's caseworker is on the team of (opened at set-up: see set_up_cases)."""

    case: str
    person: str  # the requester, whose compartments are edited
    compartments: dict[str, str]  # kind -> compartment id
    team: list[tuple[str, str]]  # (user id, username): who a task may go to
    partner: str = ""  # the organisation's partner, for disclosure packets
    document: str = ""  # a case document a packet may carry ("document:<id>", set-up's), and its name
    document_name: str = ""
    receipt: str = ""  # the receipt of the request the case was opened from: the requester's portal


@dataclass
class CrashClient:
    """One client: its requests (as a requester), its cases (as a caseworker), its randomness, the server."""

    number: int
    rng: random.Random
    org_slug: str
    port: int = 0
    owned: list[OwnedRequest] = field(default_factory=list)
    serials: int = 0
    staff: StaffAccount | None = None
    cases: list[CaseTarget] = field(default_factory=list)
    # The intake member's client (crash_ops_intake.py): it works the inbox, not cases.
    intake: bool = False
    attach_to: list[tuple[str, str]] = field(default_factory=list)  # (case id, reference) it may attach to
    # Requests acted on (acknowledged or not), shared by the intake clients; the inbox as last read.
    touched: set[str] = field(default_factory=set)
    inbox: list[tuple[str, str]] = field(default_factory=list)
    turns: int = 0
    dry_until: float = 0.0  # the inbox had too few requests to act on: until then, none is tried
    # Cases of this client's own for applications and the journey (crash_ops_applications.JourneyTarget).
    journeys: list[Any] = field(default_factory=list)
    # The coordinator of the retention organisation (crash_ops_retention.py): it sets rules and holds.
    coordinator: bool = False
    # The crash organisation's coordinator (crash_ops_disclosures.py): packet ids it tried to
    # approve are in `touched`; the download links it was shown, (packet id, the link's path).
    links: list[tuple[str, str]] = field(default_factory=list)
    # The packets downloaded (packet id, the age file), shared with the receiving organisation's
    # coordinator, and the partner's age identity that opens them (crash_ops_disclosures.py).
    delivered: list[tuple[str, bytes]] = field(default_factory=list)
    identity: str = ""
    # The packets whose consent a caseworker had acknowledged, shared with the approving coordinator.
    consented: list[tuple[str, bool]] = field(default_factory=list)  # (packet id, with a support letter)
    # Packets and cases waiting for one of the acts of crash_ops_packet_acts.py, by the act's name.
    held: dict[str, list[Any]] = field(default_factory=dict)
    # The environment a command-line act runs in (crash_ops_packet_acts.ImportReferralCommand).
    env: dict[str, str] = field(default_factory=dict)

    def http(self) -> LoopbackClient:
        """A fresh browser: no cookies."""
        return LoopbackClient("127.0.0.1", self.port, timeout=30.0)

    def staff_http(self, port: int | None = None) -> LoopbackClient:
        """The caseworker's browser: the session's cookies, kept across requests and restarts."""
        assert self.staff is not None
        return LoopbackClient("127.0.0.1", port or self.port, cookies=self.staff.cookies, timeout=30.0)

    def next_serial(self) -> str:
        self.serials += 1
        return f"c{self.number}-{self.serials}"

    def writable(self, files: int = 0) -> list[OwnedRequest]:
        return [
            r
            for r in self.owned
            if not r.gone and r.messages < MAX_MESSAGES_PER_REQUEST and r.files + files <= MAX_FILES_PER_REQUEST
        ]


@dataclass(frozen=True)
class Stored:
    """One write found in the database by a scanner, with its decrypted content."""

    serial: str
    kind: str  # what sort of row: an operation's `stores`
    content: dict[str, Any]
    where: str  # for messages: e.g. "request R-7K2M9Q, message 3"


class Operation(abc.ABC):
    """One kind of write; subclasses are registered with @register (see the module docstring)."""

    name: ClassVar[str]
    # How often clients pick it, relative to the others that are ready.
    weight: ClassVar[float]
    # The kind of Stored row it makes (several operations may make the same kind).
    stores: ClassVar[str]
    # True for writes a later write of the same thing replaces (an edit): an acknowledged one
    # need not be stored any more, and check_acknowledged decides whether what is there is right.
    overwrites: ClassVar[bool] = False
    # True for an intake member's act (crash_ops_intake.py): the intake client makes those and nothing else.
    intake: ClassVar[bool] = False
    # True for a coordinator's act (crash_ops_retention.py): the coordinator client makes those and nothing else.
    coordinator: ClassVar[bool] = False
    # How long a cycle's load may go on past its random length while this operation is below its
    # coverage floor, in multiples of the longest load (crash.CrashSuite._until_covered). More than
    # 1 only for a write whose first run in a freshly started server is slow on a busy machine.
    patience: ClassVar[float] = 1.0

    def ready(self, client: CrashClient) -> bool:
        return True

    @abc.abstractmethod
    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        """Send the write, recording it in `attempt` (see Attempt.send)."""

    @abc.abstractmethod
    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        """Problems with one acknowledged attempt, opened as its author would ([] if none)."""

    @abc.abstractmethod
    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        """The content a Stored row made by this attempt must have (compared with ==)."""


OPERATIONS: dict[str, Operation] = {}
SCANNERS: list[Callable[[World], Iterator[Stored | str]]] = []


def register(cls: type[Operation]) -> type[Operation]:
    OPERATIONS[cls.name] = cls()
    return cls


def scanner(function: Callable[[World], Iterator[Stored | str]]) -> Callable[[World], Iterator[Stored | str]]:
    """A walk over one domain's tables: yields each Stored write, or a str for each half-written thing."""
    SCANNERS.append(function)
    return function


# The coordinators of disclosures (crash_ops_disclosures.py, crash_ops_referrals.py), by username,
# and what each tries while it cannot act.
COORDINATOR_FALLBACK = {"coord": "packet_approve", "coord2": "letter_wording", "receiver": "referral_import"}


def choose_operation(client: CrashClient) -> Operation:
    ready = [
        op
        for op in OPERATIONS.values()
        if op.intake == client.intake and op.coordinator == client.coordinator and op.ready(client)
    ]
    if client.coordinator:
        # While logged out with no fresh TOTP step: an attempt that stays unsent.
        username = client.staff.username if client.staff else ""
        ready = ready or [OPERATIONS[COORDINATOR_FALLBACK.get(username, "retention_rules")]]
    if client.coordinator and client.staff and client.staff.username in COORDINATOR_FALLBACK:
        # In turn, not by weight, as the intake acts: one client makes every act of the disclosures'
        # chain (approve, download, confirm the receipt, the letters' wording), each once per cycle.
        client.turns += 1
        return ready[client.turns % len(ready)]
    if client.intake:
        # In turn, not by weight: the intake acts use up the requests the requesters send, and
        # a run of one act must not leave the others none (the test wants each once per cycle).
        # While the inbox has run dry, the intake client writes a request itself, as a requester.
        ready = ready or [OPERATIONS["submit"]]
        client.turns += 1
        return ready[client.turns % len(ready)]
    return client.rng.choices(ready, weights=[op.weight for op in ready])[0]


# --- files: small PNGs of random pixels, compared pixel for pixel -------------------------------


def png_upload(rng: random.Random, name: str) -> tuple[tuple[str, str, bytes], dict[str, Any]]:
    """A PNG of random pixels (incompressible, so 10 to 50 KB) and its fingerprint.

    The server re-encodes every image without its metadata (refuge/intake/uploads), so the
    stored bytes differ from the sent ones; the pixels of a PNG survive exactly.
    """
    from PIL import Image

    width, height = rng.randint(48, 128), rng.randint(48, 128)
    pixels = rng.randbytes(width * height * 3)
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(out, "PNG")
    return ("files", name, out.getvalue()), file_fingerprint(name, pixels)


def file_fingerprint(name: str, rgb_pixels: bytes) -> dict[str, Any]:
    return {"name": name, "pixels": hashlib.sha256(rgb_pixels).hexdigest()}


def _files(rng: random.Random, serial: str, count: int) -> tuple[list[tuple[str, str, bytes]], list[dict[str, Any]]]:
    parts, prints = [], []
    for index in range(count):
        part, fingerprint = png_upload(rng, f"crash-{serial}-{index}.png")
        parts.append(part)
        prints.append(fingerprint)
    return parts, prints


def _sorted_files(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(files, key=lambda f: f["name"])


def _form_token(page: Response) -> str:
    found = FORM_TOKEN.search(page.text)
    if found is None:
        raise AssertionError("no form token in the page")
    return found.group(1)


# --- intake: the requester portal ------------------------------------------------------------


@register
class SubmitRequest(Operation):
    """A new request for help through /r/<org>/ask/ (sometimes with a file); the receipt is the acknowledgement."""

    name = "submit"
    weight = 0.4
    stores = "request"

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        answers, urgency = requester_answers(client.rng, attempt.serial)
        parts, prints = _files(client.rng, attempt.serial, 1 if client.rng.random() < 0.3 else 0)
        attempt.payload = {"answers": answers, "urgency": urgency, "files": prints}
        browser = client.http()
        path = f"/r/{client.org_slug}/ask/"
        try:
            form = browser.get(path)
            fields: dict[str, str | list[str]] = {
                "csrfmiddlewaretoken": form.csrf_token(),
                "form_token": _form_token(form),
                "urgency": urgency,
                **answers,
            }
        except (*TRANSPORT_ERRORS, AssertionError) as error:
            attempt.detail = f"form: {type(error).__name__}"
            return
        answered = attempt.send(
            lambda: browser.post_multipart(path, fields, parts),
            lambda r: r.status == 200 and len(RECEIPT_GROUP.findall(r.text)) == 5,
        )
        if answered is not None:
            attempt.receipt = "-".join(RECEIPT_GROUP.findall(answered.text))
            client.owned.append(OwnedRequest(attempt.receipt, files=len(prints)))

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        payload = attempt.payload
        return {
            "answers": {**payload["answers"], "custom": {}},
            "urgency": payload["urgency"],
            "files": _sorted_files(payload["files"]),
        }

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        seen = as_requester(world, attempt.receipt)
        if isinstance(seen, str):
            return [f"acknowledged request {attempt.serial} does not open with its receipt: {seen}"]
        if seen.request != self.expected(world, attempt):
            return [f"acknowledged request {attempt.serial} opens with other content than was sent"]
        return []


class _RequesterMessage(Operation):
    """A message from the requester on their request page (after entering the receipt)."""

    stores = "message"
    files_per_message: ClassVar[tuple[int, int]] = (0, 0)

    def ready(self, client: CrashClient) -> bool:
        return bool(client.writable(self.files_per_message[1]))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        count = client.rng.randint(*self.files_per_message)
        target = client.rng.choice(client.writable(count))
        words = ", ".join(client.rng.choice(MESSAGE_PHRASES) for _ in range(client.rng.randint(1, 40)))
        parts, prints = _files(client.rng, attempt.serial, count)
        attempt.receipt = target.receipt
        attempt.payload = {"body": f"Message {attempt.serial}: {words}.", "files": prints}
        browser = client.http()
        try:
            entered = browser.post_form("/r/status/", {"receipt": target.receipt})
            if entered.status != 302:
                target.gone = entered.status == 400
                attempt.detail = f"receipt: HTTP {entered.status}"
                return
            page = browser.get("/r/request/")
            fields: dict[str, str | list[str]] = {
                "csrfmiddlewaretoken": page.csrf_token(),
                "form_token": _form_token(page),
                "body": attempt.payload["body"],
            }
        except (*TRANSPORT_ERRORS, AssertionError) as error:
            attempt.detail = f"before sending: {type(error).__name__}"
            return
        # Counted once sent: a message that was not acknowledged may still be stored.
        target.messages += 1
        target.files += count
        attempt.send(
            lambda: browser.post_multipart("/r/request/", fields, parts),
            lambda r: r.status == 302 and r.headers.get("location", "").endswith("/r/request/sent/"),
        )

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {
            "request": world.lookup_id(attempt.receipt),
            "body": attempt.payload["body"],
            "files": _sorted_files(attempt.payload["files"]),
        }

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        seen = as_requester(world, attempt.receipt)
        if isinstance(seen, str):
            return [f"acknowledged {self.name} {attempt.serial}: its request does not open with the receipt: {seen}"]
        found = seen.messages.get(attempt.serial, [])
        if not found:
            return [f"acknowledged {self.name} {attempt.serial} is not in its request"]
        if found != [self.expected(world, attempt)]:
            return [f"acknowledged {self.name} {attempt.serial} differs from what was sent ({len(found)} copies)"]
        return []


@register
class SendMessage(_RequesterMessage):
    """A text message from the requester."""

    name = "message"
    weight = 0.35


@register
class UploadFiles(_RequesterMessage):
    """A message carrying one or two files (the "upload" of the portal)."""

    name = "upload"
    weight = 0.25
    files_per_message = (1, 2)


# --- intake, checking side (the verifier process: Django is set up) ---------------------------

SUBMISSION_SERIAL = re.compile(r"Submission (c\d+-\d+)\.")
MESSAGE_SERIAL = re.compile(r"Message (c\d+-\d+):")
# Requests loaded (with their messages, files and key wraps) per round of queries.
BATCH = 200


@dataclass
class RequestView:
    """One request decrypted: its content, its messages by serial, what is wrong with it."""

    serial: str
    request: dict[str, Any]
    messages: dict[str, list[dict[str, Any]]]
    requester_messages: int
    problems: list[str]
    replies: list[str] = field(default_factory=list)  # the team's messages (declines: crash_ops_intake.py)


@dataclass
class IntakeRows:
    """The rows that belong to a batch of requests, by request id: three queries, not three per request."""

    files: dict[Any, list[Any]]
    messages: dict[Any, list[Any]]
    indexes: dict[Any, list[str]]

    @classmethod
    def of(cls, requests: list[HelpRequest]) -> IntakeRows:
        from refuge.intake.models import RequestFile, RequestIndex, RequestMessage

        ids = [request.pk for request in requests]
        rows = cls({}, {}, {})
        for stored in RequestFile.objects.filter(request_id__in=ids).select_related("key").order_by("id"):
            rows.files.setdefault(stored.request_id, []).append(stored)
        for message in RequestMessage.objects.filter(request_id__in=ids).order_by("position"):
            rows.messages.setdefault(message.request_id, []).append(message)
        for request_id, name in RequestIndex.objects.filter(request_id__in=ids).values_list("request_id", "field"):
            rows.indexes.setdefault(request_id, []).append(name)
        return rows


def read_request(request: HelpRequest, secret: bytes, rows: IntakeRows | None = None) -> RequestView:
    """Decrypt a request, every message and every file (all of each file: secretstream catches truncation)."""
    from PIL import Image

    from refuge.intake.queries import read_answers, read_file_content
    from refuge.keyring.records import decrypt_text

    rows = rows or IntakeRows.of([request])
    where = f"request {request.reference}"
    problems: list[str] = []
    answers = read_answers(request, secret)
    found = SUBMISSION_SERIAL.match(str(answers.get("what_happened", "")))
    serial = found.group(1) if found else f"? ({where})"
    files: dict[Any, list[dict[str, Any]]] = {}
    for stored in rows.files.get(request.pk, []):
        name = decrypt_text(stored, "name", secret, request.key)
        data = read_file_content(stored, secret)
        if stored.size != len(data) or stored.kind != "png":
            problems.append(f"{where}: file {name!r} is {len(data)} bytes of {stored.kind}, its row says {stored.size}")
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            pixels = image.convert("RGB").tobytes()
        files.setdefault(stored.message_id, []).append(file_fingerprint(name, pixels))
    messages: dict[str, list[dict[str, Any]]] = {}
    positions, requester_messages, replies = [], 0, []
    message_ids = set()
    for message in rows.messages.get(request.pk, []):
        message_ids.add(message.pk)
        positions.append(message.position)
        requester_messages += message.from_requester
        body = decrypt_text(message, "body", secret, request.key)
        if not message.from_requester:
            replies.append(body)
            continue
        found = MESSAGE_SERIAL.match(body)
        key = found.group(1) if found else f"? ({where}, message {message.position})"
        said = {"request": request.lookup_id, "body": body, "files": _sorted_files(files.get(message.pk, []))}
        messages.setdefault(key, []).append(said)
    if positions != list(range(len(positions))):
        problems.append(f"{where}: message positions {positions} are not 0..{len(positions) - 1}")
    stray = set(files) - message_ids - {None}
    if stray:
        problems.append(f"{where}: files attached to {len(stray)} messages that are not in this request")
    indexes = sorted(rows.indexes.get(request.pk, []))
    if indexes != _indexed_fields(answers):
        problems.append(f"{where}: blind indexes {indexes}, expected {_indexed_fields(answers)}")
    asked = {"answers": answers, "urgency": request.urgency, "files": _sorted_files(files.get(None, []))}
    return RequestView(serial, asked, messages, requester_messages, problems, replies)


def _indexed_fields(answers: dict[str, Any]) -> list[str]:
    """The blind indexes a submission with these answers gets (refuge.intake.actions._blind_indexes)."""
    from refuge.intake.actions.submissions import INDEXED_FIELDS

    return sorted(
        name
        for name, normalise in INDEXED_FIELDS.items()
        if isinstance(answers.get(name), str) and normalise(answers[name])
    )


@scanner
def scan_intake(world: World) -> Iterator[Stored | str]:
    """Every request of the organisation with its messages and files, opened with the team's key.

    Not the requests the set-up accepted as cases: they are the team's now (scan_cases).

    Half-written shows up as: a key without all of its wraps (intake group, requester,
    recovery) or whose wraps disagree, content or a file that does not decrypt (or
    decrypts to a truncated file), gaps in a conversation, files of missing messages,
    missing blind indexes, or audit entries without their write and writes without theirs
    (each action writes its audit entry in its own transaction). What it decrypted is kept
    for `as_requester`, which checks that the receipt opens the same secret.
    """
    from django.db.models import F

    from refuge.audit.events import AuditEvent
    from refuge.cases.models import Case, TeamMember
    from refuge.intake.models import HelpRequest, MergedRequest, RequestFile
    from refuge.keyring.models import HolderKind, Key, Purpose

    holders: set[str] = {HolderKind.GROUP, HolderKind.REQUESTER, HolderKind.RECOVERY}
    organisation = world.organisation
    every_request = list(
        HelpRequest.objects.filter(organisation=organisation).select_related("key").order_by("received_at", "id")
    )
    # The requests the set-up accepted as cases belong to their team now (scan_cases checks them).
    case_of = dict(
        Case.objects.filter(organisation=organisation, request__isnull=False).values_list("request_id", "pk")
    )
    accepted = set(case_of)
    # A request attached to a case (crash_ops_intake.py) is the case team's too, intake's no more.
    attached = {
        request_id: case_of[into]
        for request_id, into in MergedRequest.objects.filter(organisation=organisation).values_list(
            "request_id", "into_id"
        )
        if into in case_of
    }
    teams: dict[Any, set[Any]] = {}
    for case_id, user_id in TeamMember.objects.filter(case_id__in=set(attached.values())).values_list(
        "case_id", "user_id"
    ):
        teams.setdefault(case_id, set()).add(user_id)
    handed: set[str] = {HolderKind.USER, HolderKind.REQUESTER, HolderKind.RECOVERY}
    requests = [request for request in every_request if request.pk not in accepted]
    for start in range(0, len(requests), BATCH):
        batch = requests[start : start + BATCH]
        rows, wraps = IntakeRows.of(batch), world.wraps_of([request.key_id for request in batch])
        for request in batch:
            where = f"request {request.reference}"
            try:
                if request.pk in attached:
                    team = teams.get(attached[request.pk], set())
                    secret = world.team_secret(request.key, handed, wraps.get(request.key_id, []), team)
                else:
                    secret = world.team_secret(request.key, holders, wraps.get(request.key_id, []))
                view = read_request(request, secret, rows)
            except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
                yield f"{where} does not open with the team's key: {type(error).__name__}: {error}"
                continue
            world.cache[("request", request.pk)] = (secret, view)
            yield Stored(view.serial, "request", view.request, where)
            for serial, contents in view.messages.items():
                for content in contents:
                    yield Stored(serial, "message", content, f"{where}, message {serial}")
            yield from view.problems
            received = world.audit_count(AuditEvent.REQUEST_RECEIVED, request.pk)
            if received != 1:
                yield f"{where}: {received} 'request received' audit entries"
            messages_audited = world.audit_count(AuditEvent.REQUESTER_MESSAGE_RECEIVED, request.pk)
            if messages_audited != view.requester_messages:
                yield f"{where}: {view.requester_messages} requester messages but {messages_audited} audit entries"
    # The other direction: parts whose request is not there.
    orphan_keys = (
        Key.objects.filter(organisation=organisation, purpose=Purpose.RECORD, label="request")
        .exclude(pk__in=HelpRequest.objects.values("key_id"))
        .count()
    )
    if orphan_keys:
        yield f"{orphan_keys} request keys belong to no request"
    request_ids = {str(request.pk) for request in every_request}
    for code in (AuditEvent.REQUEST_RECEIVED, AuditEvent.REQUESTER_MESSAGE_RECEIVED):
        missing = world.audited_objects(code) - request_ids
        if missing:
            yield f"{len(missing)} '{code.name}' audit entries name requests that are not stored"
    foreign = (
        RequestFile.objects.filter(request__organisation=organisation)
        .exclude(message=None)
        .exclude(message__request_id=F("request_id"))
        .count()
    )
    if foreign:
        yield f"{foreign} files are attached to a message of another request"
    # The team's messages (declines) and what intake did to each request: crash_ops_intake.scan_intake_acts.


def as_requester(world: World, receipt: str) -> RequestView | str:
    """The request as its requester opens it with the receipt (access_by_receipt), or why it does not open.

    The receipt must find the request and open its record key through the requester's own
    wrap; the content is then what the scan decrypted with the team's key, if the two
    secrets are the same (else it is decrypted again with the requester's).
    """
    from refuge.core.errors import UserError
    from refuge.intake.access import access_by_receipt

    cached = world.cache.get(("receipt", receipt))
    if cached is None:
        try:
            access = access_by_receipt(receipt)
            team_secret, view = world.cache.get(("request", access.request.pk), (None, None))
            cached = (
                view
                if view is not None and team_secret == access.secret
                else read_request(access.request, access.secret)
            )
        except UserError as error:
            cached = f"{error.code}: {error.message}"
        except Exception as error:  # noqa: BLE001 - a crash of the check is a finding, not a test error
            cached = f"{type(error).__name__}: {error}"
        world.cache[("receipt", receipt)] = cached
    return cached


# --- cases: the caseworker workspace --------------------------------------------------------------
#
# Each client also has a caseworker account (`refuge createuser`, one per client: a TOTP
# code is accepted once per time step) and works on two of the cases the set-up opened
# (set_up_cases): its own and its neighbour's, so two clients write to every case and
# versioned edits sometimes collide (409: refused, never stored). It logs in once and keeps
# its session across restarts; it logs in again only when the workspace sends it to the
# login page. Notes and tasks are inserts; a compartment and the case summary are edits
# (`overwrites`): each carries the version it was read at, and the verifier ties every
# stored version to the one edit that made it.

TOTP_STEP_SECONDS = 30
LOGIN_RETRIES = 10
VERSION_FIELD = re.compile(r'name="version" value="(\d+)"')
COMPARTMENT_KINDS = ("identity", "sogiesc", "medical")
# The field of each compartment kind that carries the serial ("Compartment c3-17: …"). Dates
# that expire (passport, visa) are never sent: they would add tasks of their own.
SERIAL_FIELDS = {"identity": "identity_notes", "sogiesc": "sogiesc_notes", "medical": "medical_notes"}
CASE_SERIALS = {
    "note": re.compile(r"Note (c\d+-\d+):"),
    "task": re.compile(r"Task (c\d+-\d+):"),
    "case": re.compile(r"Summary (c\d+-\d+):"),
    "compartment": re.compile(r"Compartment (c\d+-\d+):"),
    "compartment_file": re.compile(r"scan-(c\d+-\d+)\.png"),
    "packet": re.compile(r"Packet (c\d+-\d+):"),
}
NAMES = ["Алексей Смирнов", "Timur Akhmedov", "Ислам Дудаев", "Dmitri Volkov", "Мария Орлова", "Artyom Belov"]
ADDRESSES = ["Грозный, ул. Ленина 12", "Makhachkala, Gagarina 4-17", "Нальчик, пр. Шогенцукова 8"]
ORIENTATIONS = ["gay", "lesbian", "bisexual", "не говорит", ""]
IDENTITIES = ["man", "woman", "non-binary", "trans woman", ""]
PRIORITIES = ["emergency", "urgent", "normal"]
CURRENCIES = ["EUR", "USD", "GEL", "AMD"]


def _words(rng: random.Random, low: int, high: int) -> str:
    return ", ".join(rng.choice(MESSAGE_PHRASES) for _ in range(rng.randint(low, high)))


def _where_to(response: Response) -> str:
    """The path (and #fragment) a redirect points to, whether the Location is absolute or not."""
    parts = urllib.parse.urlsplit(response.headers.get("location", ""))
    return parts.path + (f"#{parts.fragment}" if parts.fragment else "")


def _free_step(account: StaffAccount, now: float | None = None) -> int | None:
    """The TOTP step for the next login, or None: never one sent before (the server refuses a
    step it has seen, even if that answer was cut off), and the current or the next one (it
    accepts one step either side, so a step boundary passing meanwhile does no harm)."""
    current = int((time.time() if now is None else now) // TOTP_STEP_SECONDS)
    step = max(account.last_step + 1, current)
    return step if step <= current + 1 else None


def staff_ready(client: CrashClient) -> bool:
    account = client.staff
    return account is not None and bool(client.cases) and (bool(account.csrf) or _free_step(account) is not None)


def log_in(client: CrashClient, port: int | None = None) -> str:
    """Log the client's caseworker in through /login/ (password and a fresh TOTP code); "" or why not.

    The harness logs every caseworker in before the first load (a login is an Argon2id run
    on the server: eight of them under load would starve the other writes); a client logs
    in again only when the workspace has sent it to the login page.
    """
    account = client.staff
    assert account is not None
    browser = client.staff_http(port)
    step = _free_step(account)
    if step is None:
        return "login: no fresh TOTP code yet"
    account.cookies.clear()
    account.csrf = ""
    account.last_step = step
    fields = {
        "organisation": client.org_slug,
        "username": account.username,
        "password": account.password,
        "code": pyotp.TOTP(account.totp_secret).at(step * TOTP_STEP_SECONDS),
    }
    try:
        fields["csrfmiddlewaretoken"] = browser.get("/login/").csrf_token()
        answer = browser.request("POST", "/login/", fields)
        if answer.status != 302:
            if 400 <= answer.status < 500 and ERROR_PAGE not in answer.text:
                # A fresh code and the right password: a refusal is a bug, of the harness or the server.
                raise RuntimeError(f"the login of {account.username} was refused (HTTP {answer.status})")
            return f"login: HTTP {answer.status}"
        home = browser.get("/")
        # Only a server that answers before it commits (the SQLite negative control) needs this.
        for _retry in range(LOGIN_RETRIES):
            if home.status != 302:
                break
            time.sleep(0.2)
            home = browser.get("/")
        account.csrf = home.csrf_token()
    except (*TRANSPORT_ERRORS, AssertionError) as error:
        return f"login: {type(error).__name__}"
    account.logins += 1
    return ""


def staff_session(client: CrashClient, attempt: Attempt) -> LoopbackClient | None:
    """The caseworker's browser, logged in; None (the attempt stays unsent) if the login did not happen."""
    assert client.staff is not None
    if not client.staff.csrf:
        failed = log_in(client)
        if failed:
            attempt.detail = failed
            return None
    return client.staff_http()


def _notice_logout(client: CrashClient, response: Response) -> None:
    """The workspace sent the caseworker to the login page: the session is gone, log in again next time."""
    if response.status == 302 and _where_to(response).startswith("/login/") and client.staff is not None:
        client.staff.csrf = ""


def _open_page(client: CrashClient, attempt: Attempt, browser: LoopbackClient, path: str) -> Response | None:
    """GET the page an edit is made on (for its version and CSRF token); None if it did not come."""
    try:
        page = browser.get(path)
    except TRANSPORT_ERRORS as error:
        attempt.detail = f"page: {type(error).__name__}"
        return None
    if page.status != 200:
        _notice_logout(client, page)
        if page.status in (403, 404):
            raise RuntimeError(f"GET {path} answered {page.status} to a member of the case's team")
        attempt.detail = f"page: HTTP {page.status}"
        return None
    return page


def _post_staff(
    client: CrashClient,
    attempt: Attempt,
    browser: LoopbackClient,
    path: str,
    fields: Mapping[str, str | list[str]],
    done: str,
    *,
    token: str = "",
    multipart: bool = False,
) -> None:
    """POST a workspace form; acknowledged by the redirect to `done` (the page the member lands on)."""
    assert client.staff is not None
    posted: dict[str, str | list[str]] = {"csrfmiddlewaretoken": token or client.staff.csrf, **fields}
    answers: list[Response] = []

    def call() -> Response:
        if multipart:
            answers.append(browser.post_multipart(path, posted, []))
        else:
            answers.append(browser.request("POST", path, {k: str(v) for k, v in posted.items()}))
        return answers[-1]

    attempt.send(call, lambda r: r.status == 302 and _where_to(r) == done)
    if answers:
        _notice_logout(client, answers[-1])


def _page_version(page: Response, path: str) -> int:
    found = VERSION_FIELD.search(page.text)
    if found is None:
        raise RuntimeError(f"no version field on {path}")
    return int(found.group(1))


class _CaseOperation(Operation):
    """A caseworker's write on one of the client's cases."""

    # The keys of the payload a stored row of this attempt must equal.
    compared: ClassVar[tuple[str, ...]]

    def ready(self, client: CrashClient) -> bool:
        return staff_ready(client)

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {key: attempt.payload.get(key) for key in self.compared}


class _CaseInsert(_CaseOperation):
    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        """As a member of the case's team sees it: the scan decrypted the case with the coordinator's keys."""
        found = world.cache.get((self.stores, attempt.serial), [])
        where = f"case {world.cache.get(('reference', attempt.payload['case']), attempt.payload['case'])}"
        if not found:
            return [f"acknowledged {self.name} {attempt.serial} is not in {where}"]
        if found != [self.expected(world, attempt)]:
            return [f"acknowledged {self.name} {attempt.serial} differs in {where} from what was sent"]
        return []


class _CaseEdit(_CaseOperation):
    overwrites = True
    # What it edits: the payload key naming the row, and the cache key the scan keeps it under.
    edits: ClassVar[str]

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        """The row is at this edit's version or a later one; at this version, it holds this edit.

        An acknowledged edit made version N (payload "version"); versions only grow, each
        made by exactly one edit (the scan matches each stored version to its edit), so the
        row may hold a later edit, never an older one.
        """
        row = world.cache.get((self.edits, attempt.payload[self.edits]))
        if row is None:
            case = world.cache.get(("reference", attempt.payload["case"]), attempt.payload["case"])
            return [f"acknowledged {self.name} {attempt.serial}: its {self.edits} in case {case} could not be read"]
        where, version, serial = row
        made = attempt.payload["version"]
        if version < made:
            return [f"acknowledged {self.name} {attempt.serial} made version {made} of {where}, now at {version}"]
        if version == made and serial != attempt.serial:
            return [f"acknowledged {self.name} {attempt.serial} made version {made} of {where}, which holds {serial}"]
        return []


@register
class AddNote(_CaseInsert):
    """A note on the case page (POST /cases/<id>/notes/): a history row, the serial in its encrypted body."""

    name = "case_note"
    weight = 0.15
    stores = "note"
    compared = ("case", "body", "author")

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        assert client.staff is not None
        target = client.rng.choice(client.cases)
        body = f"Note {attempt.serial}: {_words(client.rng, 1, 30)}."
        attempt.payload = {"case": target.case, "body": body, "author": client.staff.username}
        browser = staff_session(client, attempt)
        if browser is not None:
            path = f"/cases/{target.case}/notes/"
            _post_staff(client, attempt, browser, path, {"note-body": body}, f"/cases/{target.case}/#notes")


@register
class AddTask(_CaseInsert):
    """A task or appointment (POST /cases/<id>/tasks/), sometimes dated, sometimes for a team member."""

    name = "case_task"
    weight = 0.1
    stores = "task"
    compared = ("case", "title", "kind", "due_on", "owner")

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        rng = client.rng
        target = rng.choice(client.cases)
        title = f"Task {attempt.serial}: {_words(rng, 1, 8)}"
        kind = rng.choice(["task", "appointment"])
        due = None if rng.random() < 0.3 else (datetime.date(2026, 1, 1) + datetime.timedelta(rng.randint(0, 900)))
        owner = None if rng.random() < 0.3 else rng.choice(target.team)
        attempt.payload = {
            "case": target.case,
            "title": title,
            "kind": kind,
            "due_on": due.isoformat() if due else None,
            "owner": owner[1] if owner else None,
        }
        browser = staff_session(client, attempt)
        if browser is not None:
            fields = {
                "task-title": title,
                "task-kind": kind,
                "task-due_on": due.isoformat() if due else "",
                "task-owner": owner[0] if owner else "",
            }
            _post_staff(
                client, attempt, browser, f"/cases/{target.case}/tasks/", fields, f"/cases/{target.case}/#tasks"
            )


def _compartment_fields(rng: random.Random, kind: str, serial: str) -> dict[str, str]:
    """What the compartment form gets: every field of the kind (some left empty), the serial in its notes."""
    notes = f"Compartment {serial}: {_words(rng, 1, 20)}."
    if kind == "identity":
        born = datetime.date(1960, 1, 1) + datetime.timedelta(rng.randint(0, 16000))
        return {
            "legal_name": rng.choice(NAMES),
            "other_names": rng.choice(["", rng.choice(NAMES)]),
            "date_of_birth": rng.choice(["", born.isoformat()]),
            "phone": f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
            "internal_passport_number": rng.choice(["", f"{rng.randint(10, 99)} {rng.randint(100000, 999999)}"]),
            "international_passport_number": rng.choice(["", f"75 {rng.randint(1000000, 9999999)}"]),
            "registered_address": rng.choice(["", *ADDRESSES]),
            "identity_notes": notes,
        }
    if kind == "sogiesc":
        return {
            "sexual_orientation": rng.choice(ORIENTATIONS),
            "gender_identity": rng.choice(IDENTITIES),
            "gender_expression": rng.choice(["", "feminine", "masculine"]),
            "sex_characteristics": "",
            "sogiesc_notes": notes,
        }
    return {
        "medical_needs": rng.choice(["", "broken ribs", "нужен врач"]),
        "psychological_needs": rng.choice(["", "PTSD, needs a therapist who speaks Russian"]),
        "medication": rng.choice(["", "ARV therapy, 1 a day"]),
        "medical_notes": notes,
    }


@register
class SaveCompartment(_CaseEdit):
    """An edit of a compartment of the case's requester, with the version its page showed."""

    name = "compartment"
    weight = 0.2
    stores = "compartment"
    edits = "compartment"
    compared = ("compartment", "kind", "content", "version")

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        target = client.rng.choice(client.cases)
        kind = client.rng.choice(COMPARTMENT_KINDS)
        browser = staff_session(client, attempt)
        if browser is None:
            return
        path = f"/cases/{target.case}/people/{target.person}/{kind}/"
        page = _open_page(client, attempt, browser, path)
        if page is None:
            return
        version = _page_version(page, path)
        fields = _compartment_fields(client.rng, kind, attempt.serial)
        # Stored as the schema cleans it (refuge/cases/compartments.py): empty fields left out.
        content = {name: value for name, value in fields.items() if value}
        attempt.payload = {
            "case": target.case,
            "compartment": target.compartments[kind],
            "kind": kind,
            "content": content,
            "version": version + 1,
        }
        _post_staff(client, attempt, browser, path, {**fields, "version": str(version)}, path, token=page.csrf_token())


@register
class AddCompartmentFile(_CaseInsert):
    """A scan put in a compartment of the case's requester (POST .../<kind>/files/, multipart):
    the serial in its encrypted name, its pixels in its content, both under the compartment's key."""

    name = "compartment_file"
    weight = 0.1
    stores = "compartment_file"
    compared = ("compartment", "file")

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        target = client.rng.choice(client.cases)
        kind = client.rng.choice(COMPARTMENT_KINDS)
        (_field, filename, content), fingerprint = png_upload(client.rng, f"scan-{attempt.serial}.png")
        attempt.payload = {"case": target.case, "compartment": target.compartments[kind], "file": fingerprint}
        browser = staff_session(client, attempt)
        if browser is None:
            return
        assert client.staff is not None
        path = f"/cases/{target.case}/people/{target.person}/{kind}/"
        posted: dict[str, str | list[str]] = {"csrfmiddlewaretoken": client.staff.csrf}
        answers: list[Response] = []

        def call() -> Response:
            answers.append(browser.post_multipart(path + "files/", posted, [("file-file", filename, content)]))
            return answers[-1]

        attempt.send(call, lambda r: r.status == 302 and _where_to(r) == path + "#files")
        if answers:
            _notice_logout(client, answers[-1])


@register
class EditCase(_CaseEdit):
    """An edit of the case's own fields (POST /cases/<id>/edit/, multipart): the serial in the summary."""

    name = "case_edit"
    weight = 0.2
    stores = "case"
    edits = "case"
    compared = ("case", "summary", "priority", "budget_minor", "currency", "version")

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        rng = client.rng
        target = rng.choice(client.cases)
        browser = staff_session(client, attempt)
        if browser is None:
            return
        path = f"/cases/{target.case}/edit/"
        page = _open_page(client, attempt, browser, path)
        if page is None:
            return
        version = _page_version(page, path)
        # In minor units, typed as people type it (refuge/cases/money.py reads both ways).
        budget = None if rng.random() < 0.3 else rng.randint(0, 5_000_000)
        attempt.payload = {
            "case": target.case,
            "summary": f"Summary {attempt.serial}: {_words(rng, 1, 60)}.",
            "priority": rng.choice(PRIORITIES),
            "budget_minor": budget,
            "currency": rng.choice(CURRENCIES),
            "version": version + 1,
        }
        fields = {
            "version": str(version),
            "priority": attempt.payload["priority"],
            "pathway": "",
            "budget": "" if budget is None else _typed_amount(rng, budget),
            "currency": attempt.payload["currency"],
            "summary": attempt.payload["summary"],
        }
        done = f"/cases/{target.case}/"
        _post_staff(client, attempt, browser, path, fields, done, token=page.csrf_token(), multipart=True)


def _typed_amount(rng: random.Random, minor: int) -> str:
    """An amount of minor units (2 digits) as a person types it: "1500.50", "1 500,50" or "1500"."""
    whole, cents = divmod(minor, 100)
    if cents == 0 and rng.random() < 0.5:
        return str(whole)
    if rng.random() < 0.5:
        return f"{whole}.{cents:02d}"
    return f"{whole:,}".replace(",", "\u00a0" if rng.random() < 0.5 else " ") + f",{cents:02d}"


@register
class PreparePacket(_CaseInsert):
    """A disclosure packet prepared from the case (POST /cases/<id>/disclosures/new/): the serial in its purpose.

    Sometimes with the case's document (copied, byte for byte, under the packet's key) and a
    support letter. Its row, its own key (wrapped for the team and recovery), the copies of its
    documents and its audit entry are one transaction; acknowledged by the redirect to the new
    packet's page. Then the person's consent is recorded there (not ledgered: see _record_consent)."""

    name = "packet"
    # Enough for the coordinator client to approve and download some in every cycle (crash_ops_disclosures.py).
    weight = 0.3
    stores = "packet"
    compared = ("case", "purpose", "fields", "documents", "letter")

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        target = client.rng.choice(client.cases)
        purpose = f"Packet {attempt.serial}: {_words(client.rng, 1, 12)}."
        with_document = bool(target.document) and client.rng.random() < 0.5
        letter = (
            {"kind": client.rng.choice(["visa", "resettlement", "border"]), "language": client.rng.choice(["ru", "en"])}
            if client.rng.random() < 0.5
            else None
        )
        attempt.payload = {
            "case": target.case,
            "purpose": purpose,
            "fields": ["identity.legal_name"],
            "documents": [target.document_name] if with_document else [],
            "letter": letter,
        }
        browser = staff_session(client, attempt)
        if browser is None:
            return
        assert client.staff is not None
        chosen = f"{target.person}:identity:legal_name"
        posted = {
            "csrfmiddlewaretoken": client.staff.csrf,
            "partner": target.partner,
            "purpose": purpose,
            "chosen": chosen,
        }
        if with_document:
            posted["documents"] = target.document
        if letter:
            posted |= {"letter": letter["kind"], "letter_language": letter["language"]}
        path, prefix = f"/cases/{target.case}/disclosures/new/", f"/cases/{target.case}/disclosures/"
        answers: list[Response] = []

        def call() -> Response:
            answers.append(browser.request("POST", path, posted))
            return answers[-1]

        done = attempt.send(call, lambda r: r.status == 302 and _where_to(r).startswith(prefix))
        if answers:
            _notice_logout(client, answers[-1])
        if done is not None:
            from tests.support.crash_ops_packet_acts import after_preparing

            if after_preparing(client, target, _where_to(done), attempt.serial, letter=letter is not None):
                _record_consent(client, browser, _where_to(done), attempt.serial, letter=letter is not None)


def _record_consent(
    client: CrashClient, browser: LoopbackClient, packet_path: str, serial: str, *, letter: bool
) -> None:
    """The person's consent recorded on the new packet's page, so the coordinator client can approve it
    (crash_ops_disclosures.py: acknowledged, the packet's id goes into `consented`). Not a ledgered
    write: lost to a kill, the packet stays unconsented, and the scan checks the consent and its
    audit entries agree either way."""
    assert client.staff is not None
    fields = {
        "csrfmiddlewaretoken": client.staff.csrf,
        "consent-who": "The requester",
        "consent-given_on": "2026-01-15",
        "consent-way": client.rng.choice(["in_person", "phone"]),
        "consent-consent_purpose": f"Consent for {serial}",
    }
    try:
        answer = browser.request("POST", f"{packet_path}consent/", fields)
    except TRANSPORT_ERRORS:
        return
    _notice_logout(client, answer)
    if answer.status == 302 and _where_to(answer) == packet_path:
        client.consented.append((packet_path.rstrip("/").rsplit("/", 1)[-1], letter))


# --- cases, set-up side (a production-settings process: python -m tests.support.crash_verify --set-up) ---


def set_up_cases(
    world: World,
    workers: list[str],
    intake: list[str] | None = None,
    journeys: int = 0,
    receiving_password: str = "",
    referrals: int = 0,
) -> dict[str, Any]:
    """Create the caseworkers and open one case for each, with the coordinator's keys; what the clients and checks need.

    The accounts are made by `do_create_member`, what `refuge createuser` runs: here, in one
    process, because eight `refuge createuser` processes cost a quarter of the short run
    (each starts Django and the accounts queue on the database while Argon2id runs).
    Case i: a request submitted as the portal does, accepted by the coordinator for a team
    of worker i (lead), worker i+1 and the coordinator (so the verifier opens every case
    key with the coordinator's keyring, and cross-checks it with the recovery key). Its
    requester gets a SOGIESC and a medical compartment given to the whole team (the
    identity compartment comes with the accept). The baseline is what the set-up itself
    wrote (events, audit entries, versions): the checks count the clients' writes on top.
    With `intake`, intake members too (the intake key approved by the coordinator, as
    refuge/accounts/grants.py requires), on the teams of the first two cases: the clients of
    crash_ops_intake.py, which decline, merge and attach the clients' requests.
    Then `journeys` cases per worker for applications and travel, whose stage the clients'
    records move (crash_ops_applications.set_up_journeys). With `receiving_password` (the
    coordinators' password), the organisation that receives the packets too (crash_ops_disclosures.set_up_receiving). One transaction,
    so one flush to disk instead of a hundred.
    """
    import secrets

    from django.db import connection, transaction

    from refuge.accounts.actions.members import do_create_member
    from refuge.accounts.grants import do_approve_grants_owed_to
    from refuge.accounts.models import Role
    from refuge.cases.actions.compartments import do_grant_compartment, do_save_compartment
    from refuge.cases.actions.documents import do_add_document
    from refuge.cases.actions.opening import do_accept_request
    from refuge.cases.models import Compartment, Person, Priority
    from refuge.crypto.packets import new_age_identity
    from refuge.disclosures.actions import PartnerDetails, do_add_partner
    from refuge.disclosures.packet_documents import document_key
    from refuge.intake.actions.submissions import do_submit_request
    from refuge.intake.uploads import sanitise_upload
    from tests.support.crash_ops_applications import set_up_journeys
    from tests.support.crash_ops_disclosures import set_up_receiving
    from tests.support.crash_ops_packet_acts import set_up_referred

    organisation, coordinator = world.organisation, world.keyring.user
    accounts, users, opened = [], [], []
    # The partner's age identity: the receiving organisation's key file (crash_ops_disclosures.py
    # reads the acknowledgement code from the packets downloaded, and imports them there).
    identity, recipient = new_age_identity()
    with transaction.atomic():
        # The second coordinator (crash_ops_disclosures.py), before the partner: its key, and every
        # packet's, is then wrapped for both coordinators (accounts.grants.coordinator_key_holders).
        coordinators = []
        if receiving_password:
            password = secrets.token_urlsafe(18)
            enrolment = do_create_member(
                actor=None, organisation=organisation, username="coord2", role=Role.COORDINATOR, password=password
            )
            coordinators.append({"username": "coord2", "password": password, "totp_secret": enrolment.totp_secret})
        # The partner packets are prepared for: another Refuge installation, which imports them.
        partner_row = do_add_partner(
            actor=coordinator,
            # Delivery to an age key: approval (crash_ops_disclosures.py) then encrypts in milliseconds,
            # where a password's scrypt took seconds of a loaded machine and the kills cut most off.
            details=PartnerDetails("crash-ngo", "Receiving NGO", "refuge", "Canada", "age", recipient, ""),
        )
        if connection.vendor == "postgresql":
            # Flushed before the answer even on the negative control's cluster (synchronous_commit
            # off): losing the set-up would be a broken run, not a finding.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO on")
        for username in workers:
            password = secrets.token_urlsafe(18)
            enrolment = do_create_member(
                actor=None, organisation=organisation, username=username, role=Role.CASEWORKER, password=password
            )
            users.append(enrolment.user)
            accounts.append({"username": username, "password": password, "totp_secret": enrolment.totp_secret})
        intake_accounts, intake_users = [], []
        for username in intake or []:
            password = secrets.token_urlsafe(18)
            enrolment = do_create_member(
                actor=None, organisation=organisation, username=username, role=Role.INTAKE, password=password
            )
            intake_users.append(enrolment.user)
            intake_accounts.append({"username": username, "password": password, "totp_secret": enrolment.totp_secret})
        if intake_users:
            do_approve_grants_owed_to(actor=coordinator, keyring=world.keyring, members=intake_users)
        attach_to = []
        for index, user in enumerate(users):
            partner = index + 1 if index + 1 < len(users) else 0
            on_team = (user, users[partner], coordinator, *(intake_users if index < 2 else []))
            team = list({member.pk: member for member in on_team}.values())
            answers = {"what_happened": f"Set-up case {index}.", "name": NAMES[index % len(NAMES)], "phone": "+7 900 1"}
            submitted = do_submit_request(organisation=organisation, answers=answers, urgency="weeks", language="en")
            case = do_accept_request(
                actor=coordinator, keyring=world.keyring, request=submitted.request, team=team, priority=Priority.URGENT
            )
            if intake_users and index < 2:
                attach_to.append([str(case.pk), case.reference])
            person = Person.objects.select_related("key", "case__key").get(case=case)
            # A document packets may carry (PreparePacket): copied under each packet's key.
            document_name = f"case-{index}-letter.png"
            document = do_add_document(
                actor=coordinator,
                keyring=world.keyring,
                case=case,
                upload=sanitise_upload(
                    document_name, io.BytesIO(png_upload(random.Random(index), document_name)[0][2])
                ),
            )
            for kind in ("sogiesc", "medical"):
                compartment = do_save_compartment(
                    actor=coordinator,
                    keyring=world.keyring,
                    person=person,
                    kind=kind,
                    data={SERIAL_FIELDS[kind]: "Set up."},
                    version=None,
                )
                for member in team:
                    if member.pk != coordinator.pk:
                        do_grant_compartment(
                            actor=coordinator, keyring=world.keyring, compartment=compartment, member=member
                        )
            opened.append(
                {
                    "case": str(case.pk),
                    "person": str(person.pk),
                    "compartments": {c.kind: str(c.pk) for c in Compartment.objects.filter(person=person)},
                    "team": [[str(member.pk), member.username] for member in team],
                    "workers": sorted({index, partner}),
                    "partner": str(partner_row.pk),
                    "document": document_key(document),
                    "document_name": document_name,
                    "receipt": submitted.receipt,
                }
            )
        journey_cases = set_up_journeys(world, users, journeys)
        receiving = set_up_receiving(receiving_password, identity) if receiving_password else {}
        referred = (
            set_up_referred(world, users, referrals, coordinators[0], partner_row) if coordinators and referrals else []
        )
    baseline = case_baseline(world) | {
        "journeys": {journey["case"]: journey for journey in journey_cases},
        "referred": {case["case"]: case for case in referred},
    }
    return {
        "accounts": accounts,
        "cases": opened,
        "journeys": journey_cases,
        "baseline": baseline,
        "intake": intake_accounts,
        "attach_to": attach_to,
        "receiving": receiving,
        "coordinators": coordinators,
        "referred": referred,
    }


# The audit entries a client's case write adds, on the case or on the compartment.
CASE_AUDITS = ("NOTE_ADDED", "TASK_ADDED", "CASE_EDITED", "CASE_REQUEST_ATTACHED")
COMPARTMENT_AUDITS = ("COMPARTMENT_WRITTEN",)


def case_baseline(world: World) -> dict[str, Any]:
    """Versions, timeline events and audit entries of every case and compartment, as the set-up left them."""
    from refuge.audit.events import AuditEvent
    from refuge.audit.models import AuditEntry
    from refuge.cases.models import Case, CaseEvent, Compartment

    organisation = world.organisation
    audits = Counter(AuditEntry.objects.filter(organisation_id=organisation.pk).values_list("code", "object_id"))
    cases: dict[str, Any] = {}
    for case in Case.objects.filter(organisation=organisation):
        events = Counter(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
        cases[str(case.pk)] = {
            "version": case.version,
            "events": dict(events),
            "audits": {code: audits[(int(AuditEvent[code]), str(case.pk))] for code in CASE_AUDITS},
        }
    compartments = {
        str(compartment.pk): {
            "version": compartment.version,
            "audits": {code: audits[(int(AuditEvent[code]), str(compartment.pk))] for code in COMPARTMENT_AUDITS},
        }
        for compartment in Compartment.objects.filter(person__case__organisation=organisation)
    }
    return {"cases": cases, "compartments": compartments}


# --- cases, checking side -------------------------------------------------------------------------


@scanner
def scan_cases(world: World) -> Iterator[Stored | str]:
    """Every case of the organisation, opened with the team's key, and all that was written to it.

    Half-written shows up as: a case, request or compartment key without a wrap for each
    member of the team and for recovery (or a recovery wrap holding another secret), a
    summary, note, task, timeline entry or compartment that does not decrypt, a version
    with no edit behind it, a write without its timeline entry or audit entry (counted
    against the set-up's baseline: each write is one transaction with both), or blind
    indexes that do not follow the identity compartment. Notes, tasks, the summary and
    the compartments are yielded as Stored writes; the versions are kept for the edits'
    check_acknowledged.
    """
    from refuge.accounts.models import User
    from refuge.cases.models import Case, Compartment, TeamMember

    organisation = world.organisation
    baseline = world.setup.get("cases", {})
    cases = list(
        Case.objects.filter(organisation=organisation).select_related("key", "request__key").order_by("reference")
    )
    if {str(case.pk) for case in cases} != set(baseline):
        yield f"the cases are {len(cases)}, not the {len(baseline)} the set-up opened"
    # The journeys' cases are scanned by crash_ops_applications.scan_journeys: their records move the stage.
    # So are the cases closed as referred (crash_ops_packet_acts.scan_referred_cases): the act moves their stage.
    journeys = world.setup.get("journeys", {})
    referred = world.setup.get("referred", {})
    cases = [case for case in cases if str(case.pk) not in journeys and str(case.pk) not in referred]
    teams: dict[Any, set[Any]] = {}
    for case_id, user_id in TeamMember.objects.filter(case__in=cases).values_list("case_id", "user_id"):
        teams.setdefault(case_id, set()).add(user_id)
    compartments: dict[Any, list[Compartment]] = {}
    for compartment in Compartment.objects.filter(person__case__in=cases).select_related("key", "person"):
        compartments.setdefault(compartment.person.case_id, []).append(compartment)
    key_ids = [case.key_id for case in cases] + [case.request.key_id for case in cases if case.request is not None]
    key_ids += [c.key_id for found in compartments.values() for c in found]
    wraps = world.wraps_of(key_ids)
    usernames = dict(User.objects.filter(organisation=organisation).values_list("pk", "username"))
    for case in cases:
        world.cache[("reference", str(case.pk))] = case.reference
        try:
            yield from _scan_case(
                world, case, teams.get(case.pk, set()), compartments.get(case.pk, []), wraps, usernames
            )
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"case {case.reference} does not open with the team's key: {type(error).__name__}: {error}"


def _scan_case(
    world: World,
    case: Case,
    team: set[Any],
    compartments: list[Compartment],
    wraps: dict[Any, list[Any]],
    usernames: dict[Any, str],
) -> Iterator[Stored | str]:
    from refuge.audit.events import AuditEvent
    from refuge.cases.models import CaseEvent, EventKind, Note, Task
    from refuge.cases.queries import read_summary
    from refuge.intake.models import MergedRequest
    from refuge.intake.queries import read_answers
    from refuge.keyring.models import HolderKind
    from refuge.keyring.records import decrypt_text

    where, case_id = f"case {case.reference}", str(case.pk)
    base = world.setup.get("cases", {}).get(case_id, {"version": 1, "events": {}, "audits": {}})
    secret = world.team_secret(case.key, {HolderKind.USER, HolderKind.RECOVERY}, wraps.get(case.key_id, []), team)
    if case.request is not None:
        # The request moved to the team at the accept: its key is theirs (and the requester's), intake's no more.
        holders: set[str] = {HolderKind.USER, HolderKind.REQUESTER, HolderKind.RECOVERY}
        read_answers(
            case.request, world.team_secret(case.request.key, holders, wraps.get(case.request.key_id, []), team)
        )

    summary = read_summary(case, secret)
    edit = None
    if isinstance(summary, str):
        edit = _case_serial("case", summary, where)
        content = {
            "case": case_id,
            "summary": summary,
            "priority": case.priority,
            "budget_minor": case.budget_minor,
            "currency": case.currency,
            "version": case.version,
        }
        yield Stored(edit, "case", content, f"{where}, version {case.version}")
    elif case.version != base["version"]:
        yield f"{where} is at version {case.version}, but its summary is still the request's"
    world.cache[("case", case_id)] = (where, case.version, edit)

    notes = list(Note.objects.filter(case=case).order_by("created_at", "id"))
    for note in notes:
        body = decrypt_text(note, "body", secret, case.key)
        serial = _case_serial("note", body, where)
        content = {"case": case_id, "body": body, "author": usernames.get(note.author_id)}
        world.cache.setdefault(("note", serial), []).append(content)
        yield Stored(serial, "note", content, f"{where}, note {serial}")
    tasks = list(Task.objects.filter(case=case).select_related("owner").order_by("created_on", "id"))
    titles = []
    for task in tasks:
        title = decrypt_text(task, "title", secret, case.key)
        titles.append(title)
        if task.source:
            yield f"{where}: a task made from a compartment ({task.source}), but no client sends an expiry date"
            continue
        serial = _case_serial("task", title, where)
        content = {
            "case": case_id,
            "title": title,
            "kind": task.kind,
            "due_on": task.due_on.isoformat() if task.due_on else None,
            "owner": task.owner.username if task.owner else None,
        }
        world.cache.setdefault(("task", serial), []).append(content)
        yield Stored(serial, "task", content, f"{where}, task {serial}")

    edits = 0  # compartment versions beyond the set-up's, and files put in them: one timeline entry each
    for compartment in compartments:
        edits += yield from _scan_compartment(world, case, compartment, team, wraps)

    # The timeline: every entry decrypts, and each write added exactly one.
    events: Counter[str] = Counter()
    task_titles = []
    for event in CaseEvent.objects.filter(case=case):
        detail = json.loads(decrypt_text(event, "detail", secret, case.key))
        events[str(event.kind)] += 1
        if event.kind == EventKind.TASK.value:
            task_titles.append(detail.get("title"))
    # Keyed by the stored codes (plain strings: an enum member hashes by its name, not its value).
    expected: Counter[str] = Counter(base["events"])
    expected[EventKind.NOTE.value] += len(notes)
    expected[EventKind.TASK.value] += len(tasks)
    expected[EventKind.COMPARTMENT.value] += edits
    # Requests attached to the case by the intake client (crash_ops_intake.py): one entry each.
    attached = MergedRequest.objects.filter(into_id=case.request_id).count() if case.request_id else 0
    expected[EventKind.ATTACHED.value] += attached
    case_edits = case.version - base["version"]
    # An edit that changes the priority alone is a "priority" entry, any other an "edited" one.
    kinds = (EventKind.PRIORITY.value, EventKind.EDITED.value)
    edited = sum(events.pop(kind, 0) for kind in kinds)
    edited_before = sum(expected.pop(kind, 0) for kind in kinds)
    if edited != edited_before + case_edits:
        yield f"{where}: {case_edits} edits of the case but {edited - edited_before} timeline entries"
    if +events != +expected:
        yield f"{where}: timeline entries {dict(+events)}, expected {dict(+expected)}"
    if sorted(task_titles) != sorted(titles):
        yield f"{where}: the timeline's tasks are not the tasks stored"
    audits = base["audits"]
    made_by_clients = (
        ("NOTE_ADDED", len(notes)),
        ("TASK_ADDED", len(tasks)),
        ("CASE_EDITED", case_edits),
        ("CASE_REQUEST_ATTACHED", attached),
    )
    for code, made in made_by_clients:
        found = world.audit_count(AuditEvent[code], case_id) - audits.get(code, 0)
        if found != made:
            yield f"{where}: {made} writes but {found} '{code}' audit entries"


def _scan_compartment(
    world: World, case: Case, compartment: Compartment, team: set[Any], wraps: dict[Any, list[Any]]
) -> Generator[Stored | str, None, int]:
    """One compartment: opened, tied to the edit of its version, its audit entries and blind indexes.
    Returns (as a generator's value) how many edits it has had since the set-up."""
    from refuge.audit.events import AuditEvent
    from refuge.keyring.models import HolderKind
    from refuge.keyring.records import decrypt_text

    kind, compartment_id = compartment.kind, str(compartment.pk)
    where = f"case {case.reference}, {kind} compartment"
    base = world.setup.get("compartments", {}).get(compartment_id, {"version": 1, "audits": {}})
    holders: set[str] = {HolderKind.USER, HolderKind.RECOVERY}
    secret = world.team_secret(compartment.key, holders, wraps.get(compartment.key_id, []), team)
    content = json.loads(decrypt_text(compartment, "content", secret, compartment.key))
    text = content.get(SERIAL_FIELDS.get(kind, ""), "") if isinstance(content, dict) else ""
    edit = None
    if CASE_SERIALS["compartment"].match(str(text)):
        edit = _case_serial("compartment", str(text), where)
        stored = {"compartment": compartment_id, "kind": kind, "content": content, "version": compartment.version}
        yield Stored(edit, "compartment", stored, f"{where}, version {compartment.version}")
    elif compartment.version != base["version"]:
        yield f"{where} is at version {compartment.version}, but holds what the set-up wrote"
    world.cache[("compartment", compartment_id)] = (where, compartment.version, edit)
    edits = compartment.version - base["version"]
    found = world.audit_count(AuditEvent.COMPARTMENT_WRITTEN, compartment_id) - base["audits"].get(
        "COMPARTMENT_WRITTEN", 0
    )
    if found != edits:
        yield f"{where}: {edits} edits but {found} 'COMPARTMENT_WRITTEN' audit entries"
    if kind == "identity":
        yield from _check_indexes(world, compartment, content, where, edited=edits > 0)
    files = yield from _scan_compartment_files(world, compartment, secret, where)
    return edits + files


def _scan_compartment_files(
    world: World, compartment: Compartment, secret: bytes, where: str
) -> Generator[Stored | str, None, int]:
    """Every file of a compartment, opened whole under the compartment's key (secretstream catches
    truncation), each with its audit entry. Returns how many there are (none at set-up)."""
    from PIL import Image

    from refuge.audit.events import AuditEvent
    from refuge.cases.models import CompartmentFile
    from refuge.keyring.files import decrypt_file_content
    from refuge.keyring.records import decrypt_text

    compartment_id = str(compartment.pk)
    stored_files = list(CompartmentFile.objects.filter(compartment=compartment).order_by("id"))
    for stored in stored_files:
        if stored.key_id != compartment.key_id:
            yield f"{where}: a file under another key than the compartment's"
            continue
        name = decrypt_text(stored, "name", secret, compartment.key)
        data = decrypt_file_content(stored, secret, compartment.key)
        if stored.size != len(data) or stored.kind != "png":
            yield f"{where}: file {name!r} is {len(data)} bytes of {stored.kind}, its row says {stored.size}"
            continue
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            pixels = image.convert("RGB").tobytes()
        serial = _case_serial("compartment_file", name, where)
        content = {"compartment": compartment_id, "file": file_fingerprint(name, pixels)}
        world.cache.setdefault(("compartment_file", serial), []).append(content)
        yield Stored(serial, "compartment_file", content, f"{where}, file {serial}")
    found = world.audit_count(AuditEvent.COMPARTMENT_FILE_ADDED, compartment_id)
    if found != len(stored_files):
        yield f"{where}: {len(stored_files)} files but {found} 'COMPARTMENT_FILE_ADDED' audit entries"
    return len(stored_files)


def _check_indexes(
    world: World, compartment: Compartment, content: dict[str, Any], where: str, *, edited: bool
) -> Iterator[str]:
    """The person's blind indexes are exactly those of the identity compartment as it is now.

    Before its first edit, each is there twice: the accept derives them from the new
    compartment and copies the request's too (the same digests). Each edit replaces them.
    """
    from refuge.cases.compartments import index_values
    from refuge.cases.models import CaseIndex
    from refuge.crypto import blind_index
    from refuge.intake.actions.submissions import INDEXED_FIELDS
    from refuge.keyring.models import Key, Purpose
    from refuge.keyring.records import server_secret_for

    keys = world.cache.get("blind index keys")
    if keys is None:
        keys = {
            key.label.removeprefix("blind-index:"): server_secret_for(key)
            for key in Key.objects.filter(organisation=world.organisation, purpose=Purpose.BLIND_INDEX)
        }
        world.cache["blind index keys"] = keys
    expected = []
    for name, value in index_values(compartment.kind, content):
        normalised = INDEXED_FIELDS[name](value)
        if normalised:
            if name not in keys:
                yield f"{where}: no blind-index key for {name}"
                continue
            expected.append((name, blind_index(keys[name], name, normalised)))
    stored = list(CaseIndex.objects.filter(person_id=compartment.person_id).values_list("field", "digest"))
    if set(stored) != set(expected) or (edited and sorted(stored) != sorted(expected)):
        fields = sorted(name for name, _digest in stored)
        yield f"{where}: blind indexes {fields} do not follow the compartment ({sorted(n for n, _d in expected)})"


@scanner
def scan_packets(world: World) -> Iterator[Stored | str]:
    """Every disclosure packet: its key wrapped for the case's team and recovery, its content
    decrypting, its audit entry there; yielded as Stored writes for PreparePacket."""
    from refuge.accounts.models import Role, User
    from refuge.cases.models import TeamMember
    from refuge.disclosures.audit_events import DisclosureEvent
    from refuge.disclosures.models import Packet
    from refuge.keyring.models import HolderKind
    from refuge.keyring.records import decrypt_text

    # The packets of the cases closed as referred are the set-up's (crash_ops_packet_acts.scan_referred_cases).
    found = list(
        Packet.objects.filter(organisation=world.organisation)
        .exclude(pk__in=set_up_packets(world))
        .select_related("key", "case")
    )
    wraps = world.wraps_of([packet.key_id for packet in found])
    # Its key is the case team's and the coordinators' (who approve it), and recovery's.
    coordinators = {
        user.pk
        for user in User.objects.filter(organisation=world.organisation, role=Role.COORDINATOR, is_active=True)
        if len(bytes(user.public_key)) == 32
    }
    for packet in found:
        where = f"case {packet.case.reference}, packet {packet.pk}"
        team = coordinators | set(TeamMember.objects.filter(case_id=packet.case_id).values_list("user_id", flat=True))
        try:
            secret = world.team_secret(
                packet.key, {HolderKind.USER, HolderKind.RECOVERY}, wraps.get(packet.key_id, []), team
            )
            content = json.loads(decrypt_text(packet, "content", secret, packet.key))
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"{where} does not open with the team's key: {type(error).__name__}: {error}"
            continue
        serial = _case_serial("packet", content.get("purpose", ""), where)
        letter = content.get("letter")
        stored = {
            "case": str(packet.case_id),
            "purpose": content.get("purpose"),
            "fields": [f["name"] for person in content.get("people", []) for f in person["fields"]],
            "documents": [document["name"] for document in content.get("documents", [])],
            "letter": {"kind": letter["kind"], "language": letter["language"]} if letter else None,
        }
        if packet.revoked_on is None:
            yield from _packet_documents(packet, secret, content, where)
        # A revoked packet's copies of documents are deleted with it: crash_ops_packet_acts.scan_revocations.
        world.cache.setdefault(("packet", serial), []).append(stored)
        if world.audit_count(DisclosureEvent.PACKET_PREPARED, str(packet.pk)) != 1:
            yield f"{where}: not one 'PACKET_PREPARED' audit entry"
        yield Stored(serial, "packet", stored, where)


def set_up_packets(world: World) -> set[str]:
    """The packets the set-up produced for the cases closed as referred (crash_ops_packet_acts.set_up_referred)."""
    return {case["packet"] for case in world.setup.get("referred", {}).values()}


def _packet_documents(packet: Any, secret: bytes, content: dict[str, Any], where: str) -> Iterator[str]:
    """The packet's copies of its documents: one per document its content lists, each whole under the packet's key."""
    from refuge.crypto import sha256_hex
    from refuge.disclosures.models import PacketDocument
    from refuge.keyring.files import decrypt_file_content
    from refuge.keyring.records import decrypt_column

    listed = {document["file"]: document for document in content.get("documents", [])}
    copies = list(PacketDocument.objects.filter(packet=packet).select_related("key"))
    if len(copies) != len(listed):
        yield f"{where}: {len(copies)} document copies for {len(listed)} documents in its content"
    for copy in copies:
        try:
            name = decrypt_column(copy, "name", secret, copy.key).decode("utf-8")
            data = decrypt_file_content(copy, secret, copy.key)
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"{where}: a document copy does not open: {type(error).__name__}: {error}"
            continue
        matching = [d for d in listed.values() if d["name"] == name]
        if not matching or sha256_hex(data) != matching[0]["sha256"] or len(data) != copy.size:
            yield f"{where}: the copy of {name!r} is not the document its content describes"


def _case_serial(kind: str, text: str, where: str) -> str:
    found = CASE_SERIALS[kind].match(text)
    return found.group(1) if found else f"? ({where}, {kind})"


# Other apps' operations register themselves here, after everything they build on.
from tests.support import (  # noqa: E402, F401
    crash_ops_applications,
    crash_ops_disclosures,
    crash_ops_intake,
    crash_ops_packet_acts,
    crash_ops_referrals,
    crash_ops_retention,
    crash_ops_safety,
)
