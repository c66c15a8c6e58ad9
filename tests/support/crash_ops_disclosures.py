"""Crash-suite operations of disclosures after preparing (crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operations and scanners register with the others.
The crash organisation's two coordinators are clients of their own, each taking its acts in
turn, not by weight (crash_ops.choose_operation), while the server is killed: `coord`
(createorg's, on every case's team) approves the packets the caseworkers prepared (`packet`,
crash_ops.py); `coord2` (made by the set-up before the partner, so that every packet's key is
wrapped for it too) downloads them as the partner does, confirms their receipt and writes the
support letters' wording. The receiving organisation's coordinator imports them
(crash_ops_referrals.py).

- `packet_approve`: a consented packet (the caseworker records the consent right after
  preparing it: `packet`, crash_ops.py; a write not in the ledger, which the scan checks
  whole; once that is acknowledged, the packet's id is passed to the coordinator client, as a
  coordinator is told a packet awaits them) is approved: POST /disclosures/<id>/approve/ with
  a download limit of 1 to 3, those without a support letter first three times in four.
  Acknowledged by the page that shows the link once. Approval writes, in one transaction, the
  produced file (the summary PDF, and the letter's if one was chosen), the token's digest, the
  expiry, the limit, the letter's wording in the content, and one "approved" audit entry.
- `packet_download`: the partner's download through a link the coordinator was shown
  (POST /r/packet/<token>/), counted against the limit by one conditional UPDATE with its
  audit entry. Acknowledged by the file (kept for the receipt and the import); refused (404)
  once the limit is used up.
- `packet_receipt`: the receiving side's confirmation code, read from a packet downloaded
  (opened with the partner's age identity, kept from the set-up, as the partner opens it),
  typed on the coordinator's review page (POST /disclosures/<id>/received/), once per packet.
  Acknowledged by the redirect to the review page. It writes the day received and one
  "received" audit entry (3110) in one transaction.
- `letter_wording` (an edit): one of the six support letters saved from its form, the serial
  in its title.

Approval is the slow one: the first in a freshly started server loads the PDF library (about
a second of CPU), which on a busy machine outlasts a cycle's load; so the load may go on
longer while approval, or an act that can only follow it, is below its floor
(`CHAIN_PATIENCE`, crash.CrashSuite._until_covered).

After every kill, `scan_disclosure_states` requires of every packet: approved exactly when it
has one "approved" audit entry (3103), and then its file, link digest, expiry and limit set;
consent recorded exactly when it has a "consent recorded" entry (3102) or the requester said
yes on the portal (crash_ops_packet_acts.py); its downloads
never above its limit and equal to its download and file audit entries (3104, 3109);
received exactly when it has one "received" entry (3110), and then approved, tied to the one
confirmation sent for it. An acknowledged approval is stored with the limit it sent; an
acknowledged download is counted; an acknowledged confirmation is stored (the packet
received). `scan_letter_wordings`: each wording opens with the coordinator's key and has one
"letter changed" audit entry (3003) per save (its version); an acknowledged save's wording is
the letter's, or a later save's of the same letter that may have been stored.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tests.support.crash_ops import (
    ACKED,
    REFUSED,
    TRANSPORT_ERRORS,
    UNSENT,
    Attempt,
    CrashClient,
    Operation,
    Stored,
    _free_step,
    _notice_logout,
    _open_page,
    _post_staff,
    _where_to,
    register,
    scanner,
    staff_session,
)

if TYPE_CHECKING:
    from tests.support.crash_verify import World

CRASH_ORG = "crash"
# The crash organisation's two coordinators: `coord` (createorg's) approves; the second, made by
# the set-up, downloads (as the partner would), confirms receipts and writes the letters' wording.
# Each client takes its acts in turn: on one client the four made too few of each per cycle on a
# busy machine.
APPROVER, SECOND_COORDINATOR = "coord", "coord2"
# The organisation the packets go to (another Refuge installation's, here in the same one), and its coordinator.
RECEIVING_ORG, RECEIVER = "receive", "receiver"
CONSENTED, APPROVED, DOWNLOADED, TAKEN_AS_FILE, RECEIVED = 3102, 3103, 3104, 3109, 3110
# How long a coordinator client waits when there is nothing to approve yet.
IDLE_SECONDS = 0.3
# Approval, then the download, the receipt and the import of what was approved: each can only follow
# the one before, and approval is slow (ApprovePacket), so the load may go on longer while one is
# below its floor (crash_ops.Operation.patience).
CHAIN_PATIENCE = 5.0
# Of the consented packets, those without a support letter are approved first three times in four:
# the common case, and half the work of approval (the letter is a second PDF).
PLAIN_FIRST = 0.75
# The link shown once after approval; its path (the partner's download page, /r/packet/<token>/).
LINK = re.compile(r'<code id="packet-link">https?://[^/<]+(/[^<]*packet/[A-Za-z0-9_-]+/)</code>')


class DisclosureAct(Operation):
    """An act of one of the disclosures' coordinator clients: each takes its acts in turn
    (crash_ops.choose_operation), so the weight is not used."""

    coordinator = True
    weight = 1.0


class ChainedAct(DisclosureAct):
    """An act that can only follow approval (and the download): patient while below its floor."""

    patience = CHAIN_PATIENCE


def disclosing_coordinator(client: CrashClient, username: str = APPROVER) -> bool:
    """The crash organisation's coordinator client of that name, logged in or able to log in."""
    account = client.staff
    return (
        client.coordinator
        and client.org_slug == CRASH_ORG
        and account is not None
        and account.username == username
        and (bool(account.csrf) or _free_step(account) is not None)
    )


@register
class ApprovePacket(ChainedAct):
    """A consented packet of a case approved and produced by the organisation's coordinator.

    Patient (ChainedAct): the first approval of a new server loads fpdf2 and its fonts
    (refuge/disclosures/pdf.py: kept out of a worker's start on purpose), seconds on a loaded
    machine, often past the kill."""

    name = "packet_approve"
    stores = "packet-approval"

    def ready(self, client: CrashClient) -> bool:
        return disclosing_coordinator(client) and any(packet not in client.touched for packet, _l in client.consented)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        # The packets whose consent a caseworker had acknowledged (crash_ops._record_consent), as a
        # coordinator is told of them: not read from the register, a page that grows with every packet.
        untried = [(packet, letter) for packet, letter in client.consented if packet not in client.touched]
        if not untried:
            attempt.detail = "no packet to approve"
            time.sleep(IDLE_SECONDS)
            return
        plain = [packet for packet, letter in untried if not letter]
        if plain and client.rng.random() < PLAIN_FIRST:
            packet = client.rng.choice(plain)
        else:
            packet = client.rng.choice(untried)[0]
        browser = staff_session(client, attempt)
        if browser is None:
            return
        assert client.staff is not None
        approve = f"/disclosures/{packet}/approve/"
        client.touched.add(packet)
        limit = client.rng.randint(1, 3)
        attempt.payload = {"packet": packet, "limit": limit}
        fields = {"csrfmiddlewaretoken": client.staff.csrf, "expires_in_days": "7", "download_limit": str(limit)}
        answers = []

        def call() -> Any:
            answers.append(browser.request("POST", approve, fields))
            return answers[-1]

        done = attempt.send(call, lambda r: r.status == 200 and LINK.search(r.text) is not None)
        if answers:
            _notice_logout(client, answers[-1])
        if done is not None:
            link = LINK.search(done.text)
            assert link is not None
            client.links.append((packet, link.group(1)))

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return dict(attempt.payload)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        return []  # the stored approval is compared with the payload


# The operations that take a packet's file, each counted against its download limit.
TAKEN_BY = ("packet_download", "packet_file")


@register
class DownloadPacket(ChainedAct):
    """An approved packet downloaded through its link, as the partner does (POST /r/packet/<token>/)."""

    name = "packet_download"
    stores = "packet-download"
    # No row of its own to carry a serial: checked by the count the scan found (check_acknowledged).
    overwrites = True

    def ready(self, client: CrashClient) -> bool:
        return disclosing_coordinator(client, SECOND_COORDINATOR) and bool(client.links)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        # A packet not downloaded yet first: the receipt and the import take each packet once.
        taken = {packet for packet, _file in client.delivered}
        fresh = [(packet, path) for packet, path in client.links if packet not in taken]
        packet, path = client.rng.choice(fresh or client.links)
        attempt.payload = {"packet": packet}
        browser = client.http()
        try:
            page = browser.get(path)  # the page with the download button: nothing counted
        except TRANSPORT_ERRORS as error:
            attempt.detail = f"page: {type(error).__name__}"
            return
        if page.status != 200:
            client.links.remove((packet, path))  # used up (or expired): the limit holds
            attempt.detail = f"page: HTTP {page.status}"
            return
        token = page.csrf_token()
        answer = attempt.send(
            lambda: browser.request("POST", path, {"csrfmiddlewaretoken": token}),
            lambda r: r.status == 200 and r.headers.get("content-type", "").startswith("application/octet-stream"),
        )
        if answer is None and attempt.status == REFUSED:
            client.links.remove((packet, path))  # used up: the limit holds
        if answer is not None and all(packet != delivered for delivered, _file in client.delivered):
            client.delivered.append((packet, answer.body))  # for the receipt and the import

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        packet = attempt.payload["packet"]
        # Through the link, or as a file (crash_ops_packet_acts.TakeFile): each counted as one download.
        acknowledged = sum(
            1 for a in world.attempts if a.op in TAKEN_BY and a.status == ACKED and a.payload.get("packet") == packet
        )
        counted = world.cache.get(("packet downloads", packet), 0)
        if counted < acknowledged:
            return [f"packet {packet}: {acknowledged} downloads acknowledged, {counted} counted"]
        return []


@scanner
def scan_disclosure_states(world: World) -> Iterator[Stored | str]:
    """Every packet's approval, consent and downloads whole (see the module docstring)."""
    from refuge.disclosures.models import ConsentQuestion, Packet
    from tests.support.crash_ops import set_up_packets

    # A "yes" on the portal records consent too, with its own audit entry (crash_ops_packet_acts.scan_questions).
    said_yes = {
        str(pk)
        for pk in ConsentQuestion.objects.filter(packet__organisation=world.organisation, agreed=True).values_list(
            "packet_id", flat=True
        )
    }
    columns = (
        "pk", "consent_recorded", "approved_by_id", "produced", "token_digest", "expires_at", "download_limit",
        "downloads", "acknowledgement_digest", "received_on",
    )  # fmt: skip
    rows = Packet.objects.filter(organisation=world.organisation).exclude(pk__in=set_up_packets(world))
    rows = rows.values_list(*columns)
    for pk, consented, approver, produced, digest, expires, limit, downloads, acknowledgement, received in rows:
        packet, where = str(pk), f"packet {pk}"
        yield from _receipt_of(world, packet, received, approved=approver is not None)
        # Consent may be recorded again (a retry after a lost answer): one entry or more.
        if consented != (world.audit_count(CONSENTED, packet) >= 1 or packet in said_yes):
            yield f"{where}: consent recorded {consented}, {world.audit_count(CONSENTED, packet)} consent audit entries"
        approvals = world.audit_count(APPROVED, packet)
        if (approver is not None) != (approvals == 1) or approvals > 1:
            yield f"{where}: approved {approver is not None}, {approvals} approval audit entries"
        taken = world.audit_count(DOWNLOADED, packet) + world.audit_count(TAKEN_AS_FILE, packet)
        world.cache[("packet downloads", packet)] = downloads
        if downloads > limit or downloads != taken:
            yield f"{where}: {downloads} downloads of {limit} allowed, {taken} download audit entries"
        if approver is None:
            if produced or digest or expires or limit:
                yield f"{where}: not approved, yet with a file, a link, an expiry or a limit"
            continue
        # The last download deletes the file in its own transaction (packets.py, _spend_if_used_up).
        spent = downloads >= limit
        if (not produced and not spent) or not digest or expires is None or not 1 <= limit <= 3 or not acknowledgement:
            yield f"{where}: approved without its file, link, expiry, limit or receipt code"
        if produced and spent:
            yield f"{where}: downloaded {downloads} times of {limit}, yet its file is still kept"
        approving = [a for a in world.attempts if a.op == ApprovePacket.name and a.payload.get("packet") == packet]
        sent = [a for a in approving if a.status not in (UNSENT, REFUSED)] or approving
        if not sent:
            yield f"{where}: approved, but no approval of it was sent"
            continue
        yield Stored(sent[-1].serial, ApprovePacket.stores, {"packet": packet, "limit": limit}, where)


# --- the receiving side's confirmation code (POST /disclosures/<id>/received/) ------------------


def packet_json_of(sealed: bytes, identity: str) -> dict[str, Any]:
    """A downloaded packet's packet.json, opened as its recipient opens it (age with the partner's identity)."""
    import io
    import json
    import zipfile

    from refuge.crypto import decrypt_with_age_identity

    with zipfile.ZipFile(io.BytesIO(decrypt_with_age_identity(sealed, identity))) as opened:
        data: dict[str, Any] = json.loads(opened.read("packet.json"))
    return data


@register
class ConfirmReceipt(ChainedAct):
    """The partner's confirmation code typed by the coordinator: the packet is received (an act done once)."""

    name = "packet_receipt"
    stores = "packet-receipt"

    def ready(self, client: CrashClient) -> bool:
        return disclosing_coordinator(client, SECOND_COORDINATOR) and any(
            self._key(p) not in client.touched for p, _f in client.delivered
        )

    @staticmethod
    def _key(packet: str) -> str:
        return f"receipt {packet}"  # in `touched` beside the packets approved: each confirmed by one attempt

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        packet, sealed = client.rng.choice([(p, f) for p, f in client.delivered if self._key(p) not in client.touched])
        code = str(packet_json_of(sealed, client.identity)["acknowledgement"])
        attempt.payload = {"packet": packet}
        browser = staff_session(client, attempt)
        if browser is None:
            return
        client.touched.add(self._key(packet))
        path = f"/disclosures/{packet}/received/"
        _post_staff(client, attempt, browser, path, {"receipt-code": code}, f"/disclosures/{packet}/")

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return dict(attempt.payload)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        return []  # the packet's receipt is a stored write, tied to the attempt that named it


def _receipt_of(world: World, packet: str, received: Any, *, approved: bool) -> Iterator[Stored | str]:
    """A packet is received exactly when it has one "received" audit entry, only once approved, by one attempt."""
    where = f"packet {packet}"
    yield from once_audited(where, "received", received is not None, world.audit_count(RECEIVED, packet), "receipt")
    if received is None:
        return
    if not approved:
        yield f"{where}: received, but not approved"
    yield from tied_to_one(world, where, ConfirmReceipt, packet, {"packet": packet})


def once_audited(where: str, act: str, done: bool, entries: int, entry: str) -> Iterator[str]:
    """An act done once: done exactly when it has one audit entry (`entry` names them), never two."""
    if done != (entries == 1) or entries > 1:
        yield f"{where}: {act} {done}, {entries} {entry} audit entries"


def tied_to_one(
    world: World, where: str, operation: Operation, packet: str, content: dict[str, Any]
) -> Iterator[Stored | str]:
    """An act done once to a packet, stored: the one attempt of `operation` that named the packet and reached
    the server (there must be exactly one), with what it wrote."""
    sent = sent_for_packet(world, operation.name, packet)
    if len(sent) != 1:
        yield f"{where}: {operation.name} stored, but {len(sent)} attempts of it were sent"
        return
    yield Stored(sent[0].serial, operation.stores, content, where)


# --- set-up: the receiving organisation (crash_ops.set_up_cases) -------------------------------


def set_up_receiving(password: str, identity: str) -> dict[str, Any]:
    """The organisation the packets are imported into, with its coordinator; its age identity is the partner's."""
    from refuge.accounts.actions.organisation import do_create_organisation
    from tests.support.crash_ops_packet_acts import COMMAND_COORDINATOR, COMMAND_ORG

    made = do_create_organisation(
        name="Receive", slug=RECEIVING_ORG, coordinator_username=RECEIVER, coordinator_password=password
    )
    # The organisation `refuge import-referral` imports into (crash_ops_packet_acts.ImportReferralCommand).
    command = do_create_organisation(
        name="Import CLI", slug=COMMAND_ORG, coordinator_username=COMMAND_COORDINATOR, coordinator_password=password
    )
    return {
        "org": RECEIVING_ORG,
        "username": RECEIVER,
        "password": password,
        "totp_secret": made.coordinator.totp_secret,
        "shares": made.recovery_shares,
        "identity": identity,
        "command": {"org": COMMAND_ORG, "username": COMMAND_COORDINATOR, "shares": command.recovery_shares},
    }


# --- the support letters' wording (POST /disclosures/letters/<kind>/<language>/) ---------------

LETTER_CHANGED = 3003
LETTERS = [(kind, language) for kind in ("visa", "resettlement", "border") for language in ("en", "ru")]
TITLE_SERIAL = re.compile(r"Letter (c\d+-\d+)\b")


def _part(page: str, name: str) -> str | None:
    """A part of the letter as the edit form shows it (an input's value, a textarea's text), unescaped."""
    import html

    area = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\n?(.*?)</textarea>', page, re.DOTALL)
    if area is not None:
        return html.unescape(area.group(1))
    field = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    value = None if field is None else re.search(r'value="([^"]*)"', field.group(0))
    return None if value is None else html.unescape(value.group(1))


@register
class LetterWording(DisclosureAct):
    """The organisation's wording of a support letter saved, the serial in its title (an edit)."""

    name = "letter_wording"
    stores = "letter-wording"
    overwrites = True

    def ready(self, client: CrashClient) -> bool:
        return disclosing_coordinator(client, SECOND_COORDINATOR)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        browser = staff_session(client, attempt)
        if browser is None:
            return
        kind, language = client.rng.choice(LETTERS)
        path = f"/disclosures/letters/{kind}/{language}/"
        page = _open_page(client, attempt, browser, path)
        if page is None:
            return
        parts = {name: _part(page.text, name) for name in ("title", "addressee", "opening", "closing")}
        version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', page.text)
        if version is None or any(value is None for value in parts.values()):
            raise RuntimeError(f"GET {path}: the letter form was not found")
        parts["title"] = f"Letter {attempt.serial}"
        attempt.payload = {"kind": kind, "language": language, "title": parts["title"]}
        fields = {"csrfmiddlewaretoken": page.csrf_token(), "version": version.group(1) or version.group(2), **parts}
        answers = []

        def call() -> Any:
            answers.append(browser.request("POST", path, {k: str(v) for k, v in fields.items()}))
            return answers[-1]

        attempt.send(call, lambda r: r.status == 302 and _where_to(r) == "/disclosures/letters/")
        if answers:
            _notice_logout(client, answers[-1])
        if attempt.status == ACKED:
            from tests.support.crash_ops_packet_acts import saved_letter

            saved_letter(client, kind, language)

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return dict(attempt.payload)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        """The letter's wording is this save's or a later save's of the same letter that may have been stored."""
        key = ("letter", attempt.payload["kind"], attempt.payload["language"])
        stored = world.cache.get(key)
        places = {a.serial: n for n, a in enumerate(world.attempts)}
        later = [
            a
            for a in world.attempts[places[attempt.serial] :]
            if a.status not in (UNSENT, REFUSED) and a.payload.get("kind") == key[1]
            and a.payload.get("language") == key[2]
        ]  # fmt: skip
        if stored is None:
            # A later reset (crash_ops_packet_acts.ResetLetter), which may have been stored, deleted it.
            if any(a.op == "letter_reset" for a in later):
                return []
            return [f"acknowledged letter wording {attempt.serial}: the letter has no wording of its own"]
        if stored not in {a.serial for a in later if a.op == self.name}:
            return [f"acknowledged letter wording {attempt.serial} is not the letter's, nor a later save's ({stored})"]
        return []


@scanner
def scan_letter_wordings(world: World) -> Iterator[Stored | str]:
    """Each letter's wording opens with the coordinator's key, with one audit entry per save (its version)."""
    import json

    from refuge.disclosures.models import LetterTemplate
    from refuge.keyring.records import decrypt_text

    for row in LetterTemplate.objects.filter(organisation=world.organisation).select_related("key"):
        where = f"letter {row.kind}/{row.language}"
        try:
            text = json.loads(decrypt_text(row, "text", world.keyring.secret_for(row.key), row.key))
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"{where} does not open with the coordinator's key: {type(error).__name__}: {error}"
            continue
        saves = world.audit_count(LETTER_CHANGED, row.pk)
        if saves != row.version:
            yield f"{where}: version {row.version}, {saves} 'letter changed' audit entries"
        found = TITLE_SERIAL.match(text.get("title", ""))
        if found is None:
            yield f"{where}: a title no save sent: {text.get('title')!r}"
            continue
        world.cache[("letter", row.kind, row.language)] = found.group(1)
        content = {"kind": row.kind, "language": row.language, "title": text["title"]}
        yield Stored(found.group(1), LetterWording.stores, content, where)


def sent_for_packet(world: World, op: str, packet: str) -> list[Any]:
    """The attempts of one operation on one packet that reached the server (acknowledged or cut off)."""
    return [
        a
        for a in world.attempts
        if a.op == op and a.payload.get("packet") == packet and a.status not in (UNSENT, REFUSED)
    ]
