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
"Message c3-18:"), so the verifier, which decrypts every stored row with the team's key,
can tie each row to the one attempt that made it. A *scanner* (`@scanner`) walks one
domain's tables and yields each stored write (`Stored`) with the content it decrypted, or
a problem for anything half-written. The verifier then requires:

- every acknowledged attempt is present and equal to what was sent (both halves agree);
- every stored write belongs to an attempt that was sent and not refused, appears once,
  and is equal to what that attempt sent: a write cut short by the crash is either whole
  or absent.

Adding an operation (e.g. case edits, once the workspace has them): see "Adding an
operation" in docs/development.md.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from tests.support.http import LoopbackClient, Response
from tests.support.load import requester_answers

if TYPE_CHECKING:
    from refuge.intake.models import HelpRequest
    from tests.support.crash_verify import World

# What happened to an attempt (the ledger's verdict, before the crash is checked).
UNSENT = "unsent"  # failed before the write was sent: must not be stored
IN_FLIGHT = "in-flight"  # the write was being sent when the client was stopped
ACKED = "acked"  # the server said it was stored: must be present and intact
REFUSED = "refused"  # the server answered 4xx: must not be stored
UNKNOWN = "unknown"  # 5xx or the connection died: may be stored, but whole

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
        return None


@dataclass
class OwnedRequest:
    """A request this client submitted and was given the receipt of (it may write to it)."""

    receipt: str
    messages: int = 0
    files: int = 0
    gone: bool = False  # the server no longer opened it: stop writing to it


@dataclass
class CrashClient:
    """One requester-side client: its own requests, its randomness, the server it talks to."""

    number: int
    rng: random.Random
    org_slug: str
    port: int = 0
    owned: list[OwnedRequest] = field(default_factory=list)
    serials: int = 0

    def http(self) -> LoopbackClient:
        """A fresh browser: no cookies."""
        return LoopbackClient("127.0.0.1", self.port, timeout=30.0)

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


class Operation:
    """One kind of write; subclasses are registered with @register (see the module docstring)."""

    name: ClassVar[str]
    # How often clients pick it, relative to the others that are ready.
    weight: ClassVar[float]
    # The kind of Stored row it makes (several operations may make the same kind).
    stores: ClassVar[str]
    # True for writes a later write of the same thing replaces (an edit): an acknowledged one
    # need not be stored any more, and check_acknowledged decides whether what is there is right.
    overwrites: ClassVar[bool] = False

    def ready(self, client: CrashClient) -> bool:
        return True

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        raise NotImplementedError

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        """Problems with one acknowledged attempt, opened as its author would ([] if none)."""
        raise NotImplementedError

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        """The content a Stored row made by this attempt must have (compared with ==)."""
        raise NotImplementedError


OPERATIONS: dict[str, Operation] = {}
SCANNERS: list[Callable[[World], Iterator[Stored | str]]] = []


def register(cls: type[Operation]) -> type[Operation]:
    OPERATIONS[cls.name] = cls()
    return cls


def scanner(function: Callable[[World], Iterator[Stored | str]]) -> Callable[[World], Iterator[Stored | str]]:
    """A walk over one domain's tables: yields each Stored write, or a str for each half-written thing."""
    SCANNERS.append(function)
    return function


def choose_operation(client: CrashClient) -> Operation:
    ready = [op for op in OPERATIONS.values() if op.ready(client)]
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
    positions, requester_messages = [], 0
    message_ids = set()
    for message in rows.messages.get(request.pk, []):
        message_ids.add(message.pk)
        positions.append(message.position)
        requester_messages += message.from_requester
        body = decrypt_text(message, "body", secret, request.key)
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
    return RequestView(serial, asked, messages, requester_messages, problems)


def _indexed_fields(answers: dict[str, Any]) -> list[str]:
    """The blind indexes a submission with these answers gets (refuge.intake.actions._blind_indexes)."""
    from refuge.intake.actions import INDEXED_FIELDS

    return sorted(
        name
        for name, normalise in INDEXED_FIELDS.items()
        if isinstance(answers.get(name), str) and normalise(answers[name])
    )


@scanner
def scan_intake(world: World) -> Iterator[Stored | str]:
    """Every request of the organisation with its messages and files, opened with the team's key.

    Half-written shows up as: a key without all of its wraps (intake group, requester,
    recovery) or whose wraps disagree, content or a file that does not decrypt (or
    decrypts to a truncated file), gaps in a conversation, files of missing messages,
    missing blind indexes, or audit entries without their write and writes without theirs
    (each action writes its audit entry in its own transaction). What it decrypted is kept
    for `as_requester`, which checks that the receipt opens the same secret.
    """
    from django.db.models import F

    from refuge.audit.events import AuditEvent
    from refuge.intake.models import HelpRequest, RequestFile, RequestMessage
    from refuge.keyring.models import HolderKind, Key, Purpose

    holders: set[str] = {HolderKind.GROUP, HolderKind.REQUESTER, HolderKind.RECOVERY}
    organisation = world.organisation
    requests = list(
        HelpRequest.objects.filter(organisation=organisation).select_related("key").order_by("received_at", "id")
    )
    for start in range(0, len(requests), BATCH):
        batch = requests[start : start + BATCH]
        rows, wraps = IntakeRows.of(batch), world.wraps_of([request.key_id for request in batch])
        for request in batch:
            where = f"request {request.reference}"
            try:
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
    request_ids = {str(request.pk) for request in requests}
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
    if RequestMessage.objects.filter(request__organisation=organisation, from_requester=False).exists():
        yield "team replies exist, but no client of the crash suite sends one"


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
