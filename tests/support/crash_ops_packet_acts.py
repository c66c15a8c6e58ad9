"""Crash-suite operations of the acts on a packet besides approval and download (crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operations and scanners register with the others.
Each act is done once to its packet, case or letter (a client holds what waits for it in
`CrashClient.held`, by the act's name, and gives it up when it sends the act):

- `consent_ask` (a caseworker): a packet the caseworker prepared (`packet`, crash_ops.py; three in
  ten are kept for the portal instead of consent recorded by hand, `after_preparing`) is put to
  the requester: POST /cases/<id>/disclosures/<id>/ask/, acknowledged by the redirect to the
  packet. It writes the question (encrypted under the request's key) and one "consent asked"
  audit entry (3106) in one transaction.
- `consent_answer` (the same client, as the case's requester): the requester's yes or no on the
  portal (the receipt of the case's request, then POST /r/request/consent/ with the question
  the request page shows), acknowledged by the redirect to /r/request/answered/. It writes the
  answer, the packet's consent (a "yes") and one "consent answered" entry (3107, a requester's
  act: chained after its hour, held until then). A "yes" hands the packet to the approving
  coordinator (as consent recorded by hand does); a "no" to `packet_revoke`.
- `packet_revoke` (a caseworker): a packet kept for it (one in four of those prepared, and those
  the requester said no to), POST /cases/<id>/disclosures/<id>/revoke/. It clears the link and
  the file, deletes the copies of the case's documents and writes one "revoked" entry (3105).
- `case_referred` (a caseworker): a case of its own opened by the set-up with a packet already
  downloaded (`set_up_referred`), closed as referred: POST /cases/<id>/disclosures/<id>/referred/.
  It moves the stage (the case's version, a timeline entry, a "stage changed" entry) and writes
  one "case referred" entry (3108) on the packet, in one transaction.
- `packet_file` (the second coordinator, in turn with its other acts): an approved packet's
  file taken from the review page (POST /disclosures/<id>/file/), counted as a download (the
  same conditional UPDATE, with its own entry 3109; the download scan checks the count).
- `letter_reset` (the second coordinator): a support letter whose wording it saved (never the
  last one with a wording of its own) goes back to the built-in text: POST
  /disclosures/letters/<kind>/<language>/reset/. The row is deleted, its key shredded (wraps and
  key row) and one "letter reset" entry (3004) written.
- `referral_import_command` (the receiving coordinator's client, in turn with the upload):
  `refuge import-referral FILE` run as its own process on a packet the second coordinator
  downloaded, into a second receiving organisation (`import-cli`, so each packet feeds both
  imports), killed with SIGKILL at a random moment of the second half of its run (where it
  imports) a quarter of the time; on PostgreSQL its database is killed under it in most cycles.
  Acknowledged by its exit status 0 and "Imported as case"; a refusal (exit 1) is `refused`.
  The scan is crash_ops_referrals.scan_referrals's, over that organisation.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.crash_ops import (
    ACKED,
    REFUSED,
    TRANSPORT_ERRORS,
    UNKNOWN,
    UNSENT,
    Attempt,
    CaseTarget,
    CrashClient,
    Operation,
    Stored,
    _notice_logout,
    _post_staff,
    _where_to,
    register,
    scanner,
    staff_ready,
    staff_session,
)
from tests.support.crash_ops_disclosures import (
    LETTER_CHANGED,
    SECOND_COORDINATOR,
    ChainedAct,
    DisclosureAct,
    disclosing_coordinator,
    once_audited,
    sent_for_packet,
    tied_to_one,
)
from tests.support.http import Response

if TYPE_CHECKING:
    from refuge.accounts.models import User
    from tests.support.crash_verify import World

ASKED, ANSWERED, REVOKED, REFERRED, LETTER_RESET = 3106, 3107, 3105, 3108, 3004
# Of the packets a caseworker prepares: kept for the portal's question, kept to be revoked; the rest
# get consent recorded by hand and go to approval (crash_ops_disclosures.py).
PORTAL_SHARE, REVOKE_SHARE = 0.3, 0.25
# The acts that follow a packet's preparing: below their floor, the load may go on twice as long.
FOLLOWING_PATIENCE = 2.0
# Of the requester's answers, a yes (the packet then goes to approval).
YES_SHARE = 0.6
QUESTION = re.compile(r'<section class="box" aria-labelledby="consent-([0-9a-f-]{36})">(.*?)</section>', re.DOTALL)
# The second receiving organisation, into which `refuge import-referral` imports (ImportReferralCommand).
COMMAND_ORG, COMMAND_COORDINATOR = "import-cli", "cli-receiver"
# How often the command is killed at a random moment of its run (at a half, and at a third, it was
# acknowledged just at its floor, and the load went on longer for it).
KILL_SHARE = 0.25


def after_preparing(client: CrashClient, target: CaseTarget, packet_path: str, serial: str, *, letter: bool) -> bool:
    """Where an acknowledged packet goes next: True to record consent by hand (then approval), or held
    for the portal's question or for revocation."""
    packet = packet_path.rstrip("/").rsplit("/", 1)[-1]
    held = {"case": target.case, "packet": packet, "serial": serial, "receipt": target.receipt, "letter": letter}
    roll = client.rng.random()
    if roll < PORTAL_SHARE and target.receipt:
        client.held.setdefault(AskConsent.name, []).append(held)
        return False
    if roll < PORTAL_SHARE + REVOKE_SHARE:
        client.held.setdefault(RevokePacket.name, []).append(held)
        return False
    return True


def _take(client: CrashClient, act: str) -> dict[str, Any]:
    """One thing waiting for this act, given up: each is the subject of one attempt only."""
    waiting = client.held[act]
    return waiting.pop(client.rng.randrange(len(waiting)))


class _HeldAct(Operation):
    """An act of the client's caseworker on something it holds for this act: ready only then, and
    then taken soon (a low weight left most of them waiting at the end of a run on a busy machine);
    patient, as it follows a packet (`packet`) or another act."""

    weight = 1.0
    patience = FOLLOWING_PATIENCE

    def ready(self, client: CrashClient) -> bool:
        return staff_ready(client) and bool(client.held.get(self.name))

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {"packet": attempt.payload["packet"]}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        return []  # a stored write, tied by the scan to the one attempt that named its packet or case

    def _post(self, client: CrashClient, attempt: Attempt, held: dict[str, Any], act: str) -> bool:
        """POST the act on the packet's page; True if acknowledged (the redirect back to the packet)."""
        # With the serial of the packet's preparing, which its purpose carries ("Packet c3-17: …").
        attempt.payload = {"packet": held["packet"], "case": held["case"], "serial": held.get("serial", "")}
        browser = staff_session(client, attempt)
        if browser is None:
            client.held[self.name].append(held)  # not sent: still waiting
            return False
        page = f"/cases/{held['case']}/disclosures/{held['packet']}/"
        _post_staff(client, attempt, browser, f"{page}{act}/", {}, page)
        return attempt.status == ACKED


@register
class AskConsent(_HeldAct):
    """The requester asked on their portal page whether a packet may go (POST .../ask/)."""

    name = "consent_ask"
    stores = "consent-question"

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        held = _take(client, self.name)
        if self._post(client, attempt, held, "ask"):
            client.held.setdefault(AnswerConsent.name, []).append(held)


@register
class AnswerConsent(Operation):
    """The requester's yes or no on the portal (POST /r/request/consent/), as the case's requester answers."""

    name = "consent_answer"
    weight = 1.0
    patience = FOLLOWING_PATIENCE
    stores = "consent-answer"

    def ready(self, client: CrashClient) -> bool:
        return bool(client.held.get(self.name))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        held = _take(client, self.name)
        agreed = client.rng.random() < YES_SHARE
        attempt.payload = {"packet": held["packet"], "agreed": agreed}
        browser = client.http()
        try:
            entered = browser.post_form("/r/status/", {"receipt": held["receipt"]})
            page = browser.get("/r/request/") if entered.status == 302 else entered
        except TRANSPORT_ERRORS as error:
            attempt.detail = f"before sending: {type(error).__name__}"
            client.held[self.name].append(held)
            return
        if page.status != 200:
            attempt.detail = f"request page: HTTP {page.status}"
            client.held[self.name].append(held)
            return
        asked = [q for q, body in QUESTION.findall(page.text) if f"Packet {held['serial']}:" in body]
        if not asked:
            # Its question lost (the negative control loses acknowledged writes): the scan reports the
            # acknowledged question missing; nothing to answer.
            attempt.detail = "the request page does not ask about the packet"
            return
        fields = {"csrfmiddlewaretoken": page.csrf_token(), "question": asked[0], "answer": "yes" if agreed else "no"}
        done = attempt.send(
            lambda: browser.request("POST", "/r/request/consent/", fields),
            lambda r: r.status == 302 and _where_to(r) == "/r/request/answered/",
        )
        if done is None:
            return
        if agreed:
            client.consented.append((held["packet"], held["letter"]))  # to the approving coordinator
        else:
            client.held.setdefault(RevokePacket.name, []).append(held)

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return dict(attempt.payload)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        return []  # the stored answer, tied to the one attempt that answered its packet's question


@register
class RevokePacket(_HeldAct):
    """A packet revoked before anyone opened it (POST .../revoke/): its link, file and copies gone."""

    name = "packet_revoke"
    stores = "packet-revocation"

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        self._post(client, attempt, _take(client, self.name), "revoke")


@register
class CloseReferred(_HeldAct):
    """A case closed as referred once its packet was downloaded (POST .../referred/)."""

    name = "case_referred"
    weight = 0.15  # the set-up's cases last the run: 1.5 × the floor
    patience = 1.0  # it follows nothing the run does
    stores = "case-referred"

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        self._post(client, attempt, _take(client, self.name), "referred")


@scanner
def scan_questions(world: World) -> Iterator[Stored | str]:
    """Every portal question: opens with the request's key, asks about its packet's purpose, with one
    "asked" entry; answered exactly when it has one "answered" entry, the packet's consent following a yes."""
    import json

    from refuge.disclosures.models import ConsentQuestion
    from refuge.keyring.models import HolderKind
    from refuge.keyring.records import decrypt_text

    questions = list(
        ConsentQuestion.objects.filter(packet__organisation=world.organisation).select_related("key", "packet")
    )
    wraps = world.wraps_of([question.key_id for question in questions])
    holders: set[str] = {HolderKind.USER, HolderKind.REQUESTER, HolderKind.RECOVERY}
    asked_packets = set()
    for question in questions:
        packet = str(question.packet_id)
        where = f"packet {packet}, portal question"
        asked_packets.add(packet)
        if world.audit_count(ASKED, packet) != 1:
            yield f"{where}: {world.audit_count(ASKED, packet)} 'consent asked' audit entries"
        try:
            secret = world.team_secret(question.key, holders, wraps.get(question.key_id, []))
            text = json.loads(decrypt_text(question, "question", secret, question.key))
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"{where} does not open with the request's key: {type(error).__name__}: {error}"
            continue
        asking = sent_for_packet(world, AskConsent.name, packet)
        if len(asking) != 1:
            yield f"{where}: asked, but {len(asking)} questions about it were sent"
        elif not str(text.get("purpose", "")).startswith(f"Packet {asking[0].payload['serial']}:"):
            yield f"{where}: it does not ask about its packet's purpose"
        else:
            yield Stored(asking[0].serial, AskConsent.stores, {"packet": packet}, where)
        answered = question.answered_on is not None
        yield from once_audited(where, "answered", answered, world.audit_count(ANSWERED, packet), "'consent answered'")
        if not answered:
            continue
        if question.packet.consent_recorded != bool(question.agreed):
            yield f"{where}: answered {'yes' if question.agreed else 'no'}, consent recorded {question.packet.consent_recorded}"
        yield from tied_to_one(world, where, AnswerConsent, packet, {"packet": packet, "agreed": question.agreed})
    stray = world.audited_objects(ASKED) - asked_packets
    if stray:
        yield f"{len(stray)} 'consent asked' audit entries name packets with no question"


@scanner
def scan_revocations(world: World) -> Iterator[Stored | str]:
    """Every revoked packet has one "revoked" entry and nothing left to take: no link, no file, no copies."""
    from django.db.models import Count

    from refuge.disclosures.models import Packet

    rows = (
        Packet.objects.filter(organisation=world.organisation)
        .annotate(copies=Count("documents"))
        .values_list("pk", "revoked_on", "token_digest", "produced", "downloads", "copies")
    )
    for pk, revoked, digest, produced, downloads, copies in rows:
        packet, where = str(pk), f"packet {pk}"
        yield from once_audited(where, "revoked", revoked is not None, world.audit_count(REVOKED, packet), "'revoked'")
        if revoked is None:
            continue
        if digest or produced or copies or downloads:
            yield f"{where}: revoked, yet its link, file or {copies} document copies are kept ({downloads} downloads)"
        yield from tied_to_one(world, where, RevokePacket, packet, {"packet": packet})


# --- cases closed as referred: opened, and their packet produced and downloaded, by the set-up ------


def set_up_referred(
    world: World, users: list[User], per_worker: int, second: dict[str, Any], partner: Any
) -> list[dict[str, Any]]:
    """`per_worker` cases for each worker (worker and coordinator on the team), each with a packet
    prepared and consented by the coordinator, approved by the second one and taken once as a file
    (its only download): what closing as referred needs. Inside set_up_cases's transaction."""
    from refuge.accounts.login import find_member
    from refuge.audit.events import AuditEvent
    from refuge.cases.actions.opening import do_accept_request
    from refuge.cases.models import CaseEvent, EventKind, Person, Priority
    from refuge.crypto import unwrap_with_password
    from refuge.disclosures import packets
    from refuge.intake.actions.submissions import do_submit_request
    from refuge.keyring.keyring import Keyring

    organisation, coordinator = world.organisation, world.keyring.user
    approver = find_member(organisation.slug, second["username"])
    assert approver is not None
    approving = Keyring(approver, unwrap_with_password(bytes(approver.private_key_password_wrap), second["password"]))
    made = []
    for index, user in enumerate(users):
        for number in range(per_worker):
            answers = {"what_happened": f"Referral {index}-{number}.", "name": "Мария Орлова", "phone": "+7 900 3"}
            submitted = do_submit_request(organisation=organisation, answers=answers, urgency="weeks", language="en")
            case = do_accept_request(
                actor=coordinator,
                keyring=world.keyring,
                request=submitted.request,
                team=[user, coordinator],
                priority=Priority.URGENT,
            )
            person = Person.objects.get(case=case)
            packet = packets.do_prepare_packet(
                actor=coordinator,
                keyring=world.keyring,
                case=case,
                partner=partner,
                purpose=f"Referral of case {index}-{number}.",
                selection=[f"{person.pk}:identity:legal_name"],
            )
            packets.do_record_consent(
                actor=coordinator,
                keyring=world.keyring,
                packet=packet,
                who="The requester",
                given_on=packet.prepared_on,
                way="in_person",
                purpose="Referral",
            )
            packets.do_approve_packet(
                actor=approver, keyring=approving, packet=packet, expires_in_days=30, download_limit=1
            )
            packets.do_take_file(actor=coordinator, packet=packet)
            case.refresh_from_db()
            made.append(
                {
                    "case": str(case.pk),
                    "packet": str(packet.pk),
                    "worker": index,
                    "version": case.version,
                    "stage": case.stage,
                    "events": CaseEvent.objects.filter(case=case, kind=EventKind.STAGE).count(),
                    "audits": _audit_entries(case.pk, AuditEvent.CASE_STAGE_CHANGED),
                }
            )
    return made


def _audit_entries(object_id: Any, code: int) -> int:
    """The audit entries of this code about this object (at set-up: none is held)."""
    from refuge.audit.models import AuditEntry

    return AuditEntry.objects.filter(object_id=str(object_id), code=int(code)).count()


@scanner
def scan_referred_cases(world: World) -> Iterator[Stored | str]:
    """Each case the set-up opened to be closed as referred: as the set-up left it, or closed as referred
    whole (stage, reason, day, one version, one timeline entry saying so, the stage's and the packet's
    audit entries), tied to the one attempt that closed it. Its packet: approved, taken once, spent."""
    import json

    from refuge.audit.events import AuditEvent
    from refuge.cases.models import Case, CaseEvent, ClosingReason, EventKind, Stage
    from refuge.disclosures.models import Packet
    from refuge.keyring.records import decrypt_text

    referred = world.setup.get("referred", {})
    if not referred:
        return
    packets = {str(p.pk): p for p in Packet.objects.filter(pk__in=[c["packet"] for c in referred.values()])}
    for case in Case.objects.filter(pk__in=list(referred)).select_related("key"):
        base, where = referred[str(case.pk)], f"case {case.reference} (to be referred)"
        packet = packets.get(base["packet"])
        if packet is None or packet.downloads != 1 or packet.produced or packet.revoked_on is not None:
            yield f"{where}: its packet is not the one downloaded at set-up"
        events = list(CaseEvent.objects.filter(case=case, kind=EventKind.STAGE).order_by("at", "id"))
        moved = (
            case.version - base["version"],
            len(events) - base["events"],
            world.audit_count(AuditEvent.CASE_STAGE_CHANGED, case.pk) - base["audits"],
            world.audit_count(REFERRED, base["packet"]),
        )
        closed = case.stage == Stage.CLOSED
        if closed != (moved == (1, 1, 1, 1)) or (not closed and moved != (0, 0, 0, 0)):
            yield f"{where}: stage {case.stage}; version, stage entries, stage and referral audit entries moved {moved}"
            continue
        if not closed:
            continue
        try:
            detail = json.loads(decrypt_text(events[-1], "detail", world.keyring.secret_for(case.key), case.key))
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"{where}: its stage entry does not open: {type(error).__name__}: {error}"
            continue
        if (
            case.closing_reason != ClosingReason.REFERRED
            or case.closed_on is None
            or detail.get("reason") != "referred"
        ):
            yield f"{where}: closed, but not as referred ({case.closing_reason!r}, entry {detail})"
        yield from tied_to_one(world, where, CloseReferred, base["packet"], {"packet": base["packet"]})


# --- the second coordinator: a packet's file, a letter back to the built-in wording -----------------


@register
class TakeFile(ChainedAct):
    """An approved packet's file taken from the review page, to hand over out of band (POST /disclosures/<id>/file/)."""

    name = "packet_file"
    stores = "packet-download"
    overwrites = True  # no row of its own: the download scan counts it (DownloadPacket.check_acknowledged)

    def ready(self, client: CrashClient) -> bool:
        return disclosing_coordinator(client, SECOND_COORDINATOR) and bool(client.links)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        taken = {packet for packet, _file in client.delivered}
        fresh = [(packet, path) for packet, path in client.links if packet not in taken]
        link = client.rng.choice(fresh or client.links)
        attempt.payload = {"packet": link[0]}
        browser = staff_session(client, attempt)
        if browser is None:
            return
        assert client.staff is not None
        fields = {"csrfmiddlewaretoken": client.staff.csrf}
        answers: list[Response] = []

        def call() -> Response:
            answers.append(browser.request("POST", f"/disclosures/{link[0]}/file/", fields))
            return answers[-1]

        answer = attempt.send(
            call,
            lambda r: r.status == 200 and r.headers.get("content-type", "").startswith("application/octet-stream"),
        )
        if answers:
            _notice_logout(client, answers[-1])
        if attempt.status == REFUSED and link in client.links:
            client.links.remove(link)  # used up: the limit holds
        if answer is not None and all(link[0] != delivered for delivered, _file in client.delivered):
            client.delivered.append((link[0], answer.body))  # for the receipt and the imports

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        from tests.support.crash_ops import OPERATIONS

        return OPERATIONS["packet_download"].check_acknowledged(world, attempt)


@register
class ResetLetter(DisclosureAct):
    """A support letter back to the built-in wording (POST /disclosures/letters/<kind>/<language>/reset/)."""

    name = "letter_reset"
    stores = "letter-reset"
    overwrites = True  # nothing stored: the row and its key are gone (scan_letter_resets counts the entries)

    def ready(self, client: CrashClient) -> bool:
        # Never the last letter with a wording of its own: one is left for the check of the checks to damage.
        return disclosing_coordinator(client, SECOND_COORDINATOR) and len(client.held.get(self.name, [])) >= 2

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        kind, language = _take(client, self.name)
        attempt.payload = {"kind": kind, "language": language}
        browser = staff_session(client, attempt)
        if browser is None:
            return
        _post_staff(
            client, attempt, browser, f"/disclosures/letters/{kind}/{language}/reset/", {}, "/disclosures/letters/"
        )

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        """The letter has no wording of its own, or one a later save (which may have been stored) wrote."""
        kind, language = attempt.payload["kind"], attempt.payload["language"]
        acked = sum(1 for a in world.attempts if a.op == self.name and a.status == ACKED)
        if world.cache.get("letter resets", 0) < acked:
            return [f"{acked} letter resets acknowledged, {world.cache.get('letter resets', 0)} stored"]
        stored = world.cache.get(("letter", kind, language))
        if stored is None:
            return []
        places = {a.serial: n for n, a in enumerate(world.attempts)}
        later = {
            a.serial
            for a in world.attempts[places[attempt.serial] :]
            if a.op == "letter_wording" and a.status not in (UNSENT, REFUSED) and a.payload.get("kind") == kind
            and a.payload.get("language") == language
        }  # fmt: skip
        if stored not in later:
            return [f"acknowledged letter reset {attempt.serial}: {kind}/{language} still has the wording of {stored}"]
        return []


def saved_letter(client: CrashClient, kind: str, language: str) -> None:
    """An acknowledged save of a letter's wording: the second coordinator may reset it."""
    if (kind, language) not in client.held.setdefault(ResetLetter.name, []):
        client.held[ResetLetter.name].append((kind, language))


@scanner
def scan_letter_resets(world: World) -> Iterator[Stored | str]:
    """Resets whole: no letter key without its letter, no letter saved and gone without one "reset"
    entry, no reset letter still there, and no more resets stored than were sent (no fewer than
    were acknowledged: ResetLetter.check_acknowledged)."""
    from refuge.disclosures.models import LetterTemplate
    from refuge.keyring.models import Key

    rows = dict(LetterTemplate.objects.filter(organisation=world.organisation).values_list("pk", "key_id"))
    current = {str(pk) for pk in rows}
    keys = set(
        Key.objects.filter(organisation=world.organisation, label="letter-template").values_list("pk", flat=True)
    )
    orphans = keys - set(rows.values())
    if orphans:
        yield f"{len(orphans)} letter keys belong to no letter (a reset that deleted its letter and kept its key)"
    reset, saved = world.audited_objects(LETTER_RESET), world.audited_objects(LETTER_CHANGED)
    for row in sorted(reset & current):
        yield f"letter row {row}: a 'letter reset' audit entry, yet the letter is still there"
    for row in sorted(saved - current - reset):
        yield f"letter row {row}: saved and gone, without a 'letter reset' audit entry"
    for row in sorted(reset):
        if world.audit_count(LETTER_RESET, row) != 1:
            yield f"letter row {row}: {world.audit_count(LETTER_RESET, row)} 'letter reset' audit entries"
    world.cache["letter resets"] = len(reset)
    sent = [a for a in world.attempts if a.op == ResetLetter.name and a.status not in (UNSENT, REFUSED)]
    if len(reset) > len(sent):
        yield f"{len(reset)} letter resets stored, {len(sent)} sent"


# --- `refuge import-referral` as its own process, into a second receiving organisation --------------

# How long the last command that was not killed took: a kill at a random moment falls within it.
_LAST_SECONDS = [3.0]


@register
class ImportReferralCommand(ChainedAct):
    """A downloaded packet imported by `refuge import-referral` into the second receiving organisation."""

    name = "referral_import_command"
    stores = "referral"

    def ready(self, client: CrashClient) -> bool:
        from tests.support.crash_ops_disclosures import RECEIVING_ORG

        return (
            client.org_slug == RECEIVING_ORG
            and bool(client.env)
            and any(self._key(packet) not in client.touched for packet, _file in client.delivered)
        )

    @staticmethod
    def _key(packet: str) -> str:
        return f"command {packet}"  # in `touched` beside the packets the upload imported

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        from tests.support.crash_ops_referrals import packet_says
        from tests.support.server import REFUGE

        packet, sealed = client.rng.choice([(p, f) for p, f in client.delivered if self._key(p) not in client.touched])
        attempt.payload = packet_says(sealed, client.identity)
        client.touched.add(self._key(packet))
        folder = Path(client.env["REFUGE_DATA_DIR"]).parent / "imports"
        folder.mkdir(exist_ok=True)
        packet_file, key_file = folder / f"{attempt.serial}.zip.age", folder / "key.txt"
        packet_file.write_bytes(sealed)
        key_file.write_text(f"# created: by the crash suite\n{client.identity}\n")
        command = [REFUGE, "import-referral", str(packet_file), "--org", COMMAND_ORG]
        command += ["--coordinator", COMMAND_COORDINATOR, "--identity", str(key_file)]
        # Killed at a random moment of its run a quarter of the time: in its second half, where it
        # imports (the first starts Django and opens the packet). Not with the server: a command is a
        # process of its own, and killed with the server it was acknowledged below its floor on a busy
        # machine; on PostgreSQL its database dies under it in most cycles.
        last = _LAST_SECONDS[0]
        kill_after = client.rng.uniform(0.5 * last, 1.1 * last) if client.rng.random() < KILL_SHARE else None
        attempt.status = "in-flight"
        started = time.monotonic()
        process = subprocess.Popen(
            command, env=client.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
        )
        try:
            out, err = process.communicate(timeout=kill_after)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        if process.returncode == 0 and b"Imported as case" in out:
            attempt.status, attempt.detail = ACKED, "exit 0"
            _LAST_SECONDS[0] = time.monotonic() - started
        elif process.returncode == 1 and b"already been imported" in err:
            raise RuntimeError(f"packet {packet} was imported twice by the command")
        elif process.returncode == 1 and err.startswith(b"CommandError:"):
            attempt.status, attempt.detail = REFUSED, err.decode(errors="replace")[-200:]
        else:
            attempt.status, attempt.detail = UNKNOWN, f"exit {process.returncode}"

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return dict(attempt.payload)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        return []  # the imported case is a stored write, tied to the attempt that sent its packet


@scanner
def scan_command_imports(world: World) -> Iterator[Stored | str]:
    """Every case of the command's organisation: imported whole, once, from a packet a command was given."""
    from tests.support.crash_ops_referrals import scan_imported

    if world.receiving.get("command"):
        yield from scan_imported(world, world.receiving["command"], ImportReferralCommand.name)
