"""Crash-suite operations of retention: rules, legal holds, and shredding killed midway (crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operations and scanner register with the others.
Retention works in an organisation of its own, `keep` (made by the harness's set-up, with
the rule "requests nobody touched: 0 days", so every request there is due at once), so that
what it shreds is nothing the other operations' checks expect to find:

- `retention_rules` (its coordinator, POST /organisation/retention/): the four other rules
  at once, to days no other attempt sends (d, d+1, d+2, d+3), the unused-request rule kept
  at 0. Saved all or none with one audit entry per rule changed (refuge/retention/actions.py).
- `legal_hold` (the same coordinator): a request the retention page lists as due is put on
  hold from its request page's form, or a held one is released (back=request).
- The harness's `ShredRunner` (not an operation: nothing acknowledges a shred to a person)
  sends requests to keep's portal while one process runs the daily retention job's function
  (`refuge.retention.job.run_retention`) over and over, shredding each request within one
  to three seconds of being sent; that process is SIGKILLed with the server at every crash.

After every kill, `scan_retention` requires of keep: every request either whole (its key
with its wraps for the intake group, its requester and recovery) with no "shredded" audit
entry, or gone with its "shredded" entry (7002) — no entry for a request that is still
there, and no record key left that no row uses (a request's rows gone, its key kept); the
acknowledged requests are all there or shredded; the rules are the ones one attempt sent,
with 1 + 4 × (saves) rule audit entries; a request's hold row exists exactly when its last
hold or release audit entry is a hold. The acknowledged acts are checked against the ledger:
the rules of the last acknowledged save or of a later one that may have been stored; a request
whose last acknowledged act was a hold (and no later act may have been stored) is on hold,
never shredded; one whose last was a release is not held.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
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
    _open_page,
    _post_staff,
    register,
    scanner,
    staff_session,
)
from tests.support.http import LoopbackClient
from tests.support.portal_http import RECEIPT_GROUP, submit

if TYPE_CHECKING:
    import random
    from pathlib import Path

    from tests.support.crash_verify import World

KEEP_ORG = "keep"
KEEPER = "keeper"
PAGE = "/organisation/retention/"
# The retention page's forms (refuge/workspace/templates/workspace/retention/page.html).
HOLD_ACTION = re.compile(r'action="/organisation/retention/requests/([0-9a-f-]{36})/hold/"')
RELEASE_ACTION = re.compile(r'action="/organisation/retention/requests/([0-9a-f-]{36})/release/"')
# The subjects a save sets to d, d+1, d+2, d+3; unused_receipt stays 0 (refuge/retention/models.py).
MOVING = ("closed_case", "declined_case", "declined_request", "evidence")
RULE_AUDIT_PER_SAVE = len(MOVING)
SHREDDED, RULE_SET, HOLD_SET, HOLD_LIFTED = 7002, 7003, 7004, 7005


def coordinator_ready(client: CrashClient) -> bool:
    account = client.staff
    return (
        client.coordinator
        and client.org_slug == KEEP_ORG
        and account is not None
        and (bool(account.csrf) or _free_step(account) is not None)
    )


class _RetentionAct(Operation):
    coordinator = True
    # A later act replaces an earlier one (a rule, a hold released): checked against the ledger.
    overwrites = True

    def ready(self, client: CrashClient) -> bool:
        return coordinator_ready(client)


@register
class RetentionRules(_RetentionAct):
    """Keep's rules saved from the retention page, four changed at once."""

    name = "retention_rules"
    weight = 1.0
    stores = "retention-rules"

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        browser = staff_session(client, attempt)
        if browser is None or _open_page(client, attempt, browser, PAGE) is None:
            return
        # Days no recent attempt of this (only) coordinator client sent: from its serial number, within ten years.
        base = 30 + 4 * (int(attempt.serial.rsplit("-", 1)[1]) % 900)
        days = {subject: base + offset for offset, subject in enumerate(MOVING)}
        attempt.payload = {"days": {**days, "unused_receipt": 0}}
        _post_staff(client, attempt, browser, PAGE, {k: str(v) for k, v in attempt.payload["days"].items()}, PAGE)

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {"days": attempt.payload["days"]}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        stored = world.cache.get("keep rules")
        later = _later_may_be_stored(world, attempt)
        if stored is not None and (stored == attempt.serial or stored in later):
            return []
        return [f"acknowledged retention rules {attempt.serial} are not keep's rules, nor a later save's"]


@register
class LegalHoldAct(_RetentionAct):
    """A request of keep's retention plan held from its request page, or a held one released."""

    name = "legal_hold"
    # Three turns in four: a hold races the shredding of the request it names.
    weight = 3.0
    stores = "legal-hold"

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        browser = staff_session(client, attempt)
        page = None if browser is None else _open_page(client, attempt, browser, PAGE)
        if browser is None or page is None:
            return
        due, held = HOLD_ACTION.findall(page.text), RELEASE_ACTION.findall(page.text)
        if not due and not held:
            attempt.detail = "nothing to hold or release"
            return
        decision = "release" if held and (not due or client.rng.random() < 0.5) else "hold"
        request_id = client.rng.choice(held if decision == "release" else due)
        attempt.payload = {"request": request_id, "decision": decision}
        path = f"/organisation/retention/requests/{request_id}/{decision}/"
        _post_staff(client, attempt, browser, path, {"back": "request"}, f"/requests/{request_id}/#retention")

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {"request": attempt.payload["request"], "decision": attempt.payload["decision"]}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        request_id = attempt.payload["request"]
        later = [
            a
            for a in _after(world, attempt)
            if a.op == self.name and a.payload.get("request") == request_id and a.status not in (UNSENT, REFUSED)
        ]
        if any(a.status == ACKED for a in later):
            return []  # the later acknowledged act is checked instead
        may_be = {attempt.payload["decision"]} | {a.payload["decision"] for a in later}
        state = world.cache.get(("keep request", request_id), "shredded")
        if state == "shredded" and may_be == {"hold"}:
            return [f"acknowledged legal hold {attempt.serial}: request {request_id} was shredded while on hold"]
        if state in ("hold", "release") and state not in may_be:
            return [f"acknowledged {attempt.payload['decision']} {attempt.serial}: request {request_id} is '{state}'"]
        return []


def _after(world: World, attempt: Attempt) -> list[Attempt]:
    """The attempts begun after this one (the coordinator client makes one at a time)."""
    places = world.cache.get("attempt places")
    if places is None:
        places = world.cache["attempt places"] = {a.serial: n for n, a in enumerate(world.attempts)}
    return world.attempts[places[attempt.serial] + 1 :]


def _later_may_be_stored(world: World, attempt: Attempt) -> set[str]:
    """Serials of the same operation after this attempt that may have been stored (sent, not refused)."""
    return {a.serial for a in _after(world, attempt) if a.op == attempt.op and a.status not in (UNSENT, REFUSED)}


@scanner
def scan_retention(world: World) -> Iterator[Stored | str]:
    """Keep's requests whole or shredded whole, its rules and holds (see the module docstring)."""
    from refuge.accounts.models import Organisation
    from refuge.audit.models import AuditEntry

    organisation = Organisation.objects.filter(slug=KEEP_ORG).first()
    if organisation is None:
        return  # a run without cases (the SQLite negative control) has no keep
    entries = list(
        AuditEntry.objects.filter(organisation_id=organisation.pk, code__in=(SHREDDED, RULE_SET, HOLD_SET, HOLD_LIFTED))
        .order_by("seq")
        .values_list("code", "object_id")
    )
    yield from _scan_requests(world, organisation, entries)
    yield from _scan_rules(world, organisation, entries)
    yield from _scan_holds(world, organisation, entries)


def _scan_requests(world: World, organisation: Any, entries: list[tuple[int, str]]) -> Iterator[str]:
    from refuge.intake.models import HelpRequest
    from refuge.keyring.models import HolderKind, Key, Purpose
    from refuge.keyring.registry import registrations

    requests = dict(HelpRequest.objects.filter(organisation=organisation).values_list("pk", "key_id"))
    present = {str(pk) for pk in requests}
    shredded = [object_id for code, object_id in entries if code == SHREDDED]
    world.cache["keep shredded"] = len(shredded)
    for object_id in sorted(set(shredded) & present):
        yield f"keep: request {object_id} has a 'shredded' audit entry but is still there"
    for object_id, copies in Counter(shredded).items():
        if copies > 1:
            yield f"keep: request {object_id} was shredded {copies} times"
    wanted = {HolderKind.GROUP, HolderKind.REQUESTER, HolderKind.RECOVERY}
    for request_id, key_id in requests.items():
        kinds = {wrap.holder_kind for wrap in world.wraps_of([key_id]).get(key_id, [])}
        if kinds != wanted:
            yield f"keep: request {request_id}'s key has wraps for {sorted(kinds)}, not {sorted(wanted)}"
        world.cache[("keep request", str(request_id))] = "release"
    record_keys = set(
        Key.objects.filter(organisation=organisation, purpose=Purpose.RECORD).values_list("pk", flat=True)
    )
    used: set[Any] = set()
    for registration in registrations():
        model, column = registration.model, registration.key_attname
        used.update(model._default_manager.filter(**{f"{column}__in": record_keys}).values_list(column, flat=True))
    if record_keys - used:
        yield f"keep: {len(record_keys - used)} record keys are left that no row uses (a shred cut in half?)"
    keep = world.keep
    accounted = len(present) + len(shredded)
    world.cache["keep accounted"] = accounted
    if accounted > keep.get("sent", 0):
        yield f"keep: {len(present)} requests and {len(shredded)} shredded, but only {keep.get('sent', 0)} were sent"


def _scan_rules(world: World, organisation: Any, entries: list[tuple[int, str]]) -> Iterator[Stored | str]:
    from refuge.retention.models import RetentionRule

    rules = dict(RetentionRule.objects.filter(organisation=organisation).values_list("subject", "days"))
    audited, extra = divmod(sum(1 for code, _object in entries if code == RULE_SET) - 1, RULE_AUDIT_PER_SAVE)
    if extra:
        yield f"keep: rule audit entries are not one per rule changed ({audited} saves and {extra} more)"
    if set(rules) - {"unused_receipt"} == set():
        return  # no save stored yet: only the set-up's rule
    # The latest save that sent these days (a long run repeats them after 900 attempts), one sent if any.
    saves = [a for a in world.attempts if a.op == RetentionRules.name and a.payload.get("days") == rules]
    sent = [a for a in saves if a.status not in (UNSENT, REFUSED)] or saves
    if sent:
        world.cache["keep rules"] = sent[-1].serial
        yield Stored(sent[-1].serial, RetentionRules.stores, {"days": rules}, "keep's retention rules")
        return
    yield f"keep: the rules {rules} match no save that was sent (half of one?)"


def _scan_holds(world: World, organisation: Any, entries: list[tuple[int, str]]) -> Iterator[Stored | str]:
    from refuge.retention.models import LegalHold

    last_act: dict[str, int] = {}
    for code, object_id in entries:
        if code in (HOLD_SET, HOLD_LIFTED):
            last_act[object_id] = code
    held = {str(request_id) for request_id in LegalHold.objects.filter(organisation=organisation).values_list(
        "request_id", flat=True
    )}  # fmt: skip
    for request_id in sorted(held | {r for r, code in last_act.items() if code == HOLD_SET}):
        if ("keep request", request_id) not in world.cache:
            yield f"keep: request {request_id} was shredded, and the last act on it was a legal hold"
        elif (request_id in held) != (last_act.get(request_id) == HOLD_SET):
            yield f"keep: request {request_id}: hold row {request_id in held}, last hold audit {last_act[request_id]}"
    for request_id in held:
        world.cache[("keep request", request_id)] = "hold"
        holds = [a for a in world.attempts if a.op == LegalHoldAct.name and a.payload == {
            "request": request_id, "decision": "hold"}]  # fmt: skip
        sent = [a for a in holds if a.status not in (UNSENT, REFUSED)] or holds
        serial = sent[-1].serial if sent else f"hold-of-{request_id}"
        yield Stored(
            serial, LegalHoldAct.stores, {"request": request_id, "decision": "hold"}, f"keep: hold {request_id}"
        )


# --- the shredding runner (the harness's side, no Django) ---------------------------------------


# The daily job's own function, looped in one process: Django starts once, and every request
# due is shredded within one to three seconds of being sent, so that the crash's kill often lands
# while it shreds. Not at once: the coordinator client needs a moment to put one on hold.
SHRED_LOOP = (
    "import random, time\n"
    "from refuge.retention.job import run_retention\n"
    "while True:\n"
    "    print(run_retention(), flush=True)\n"
    "    time.sleep(random.uniform(1.0, 2.5))\n"
)


@dataclass
class ShredRunner:
    """Requests to keep's portal, and the retention job's function run over and over, killed with the server.

    Started and stopped by the harness each cycle (tests/support/crash.py); `kill()` is part of
    the crash. Counts, for the verifier: requests sent and acknowledged; for the summary, as
    `retention_run`: the job's passes that finished (acked) and the shredding processes killed
    (unknown).
    """

    refuge: str
    env: dict[str, str]
    rng: random.Random
    log: Path
    port: int = 0
    sent: int = 0
    acknowledged: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    stopping: threading.Event = field(default_factory=threading.Event)
    process: subprocess.Popen[bytes] | None = None
    thread: threading.Thread | None = None

    def launch(self) -> None:
        """Start the shredding process, before the server: Django starts in both at once."""
        with open(self.log, "wb") as output:
            self.process = subprocess.Popen(
                [self.refuge, "manage", "shell", "-v", "0", "-c", SHRED_LOOP],
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start(self, port: int) -> None:
        """Send requests to keep's portal on the server's port (the shredding process was launched)."""
        self.port = port
        self.stopping.clear()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def kill(self) -> None:
        """SIGKILL the shredding process, wherever it is (with the server, at the crash); count its passes."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            self.counts["retention_run:unknown"] += 1
        process.wait()
        passes = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        finished = [line for line in passes if line.startswith("shredded ")]
        self.counts["retention_run:acked"] += len(finished)
        self.counts["retention passes that shredded"] += sum(
            not line.startswith("shredded nothing") for line in finished
        )

    def stop(self) -> None:
        self.stopping.set()
        self.kill()
        if self.thread is not None:
            self.thread.join(timeout=120)
            if self.thread.is_alive():
                raise AssertionError("the shredding runner did not stop within 120 s")
            self.thread = None

    def _loop(self) -> None:
        while not self.stopping.is_set():
            for _request in range(self.rng.randint(1, 3)):
                self._submit()
            self.stopping.wait(self.rng.uniform(0.1, 0.6))

    def _submit(self) -> None:
        self.sent += 1
        try:
            browser = LoopbackClient("127.0.0.1", self.port, timeout=30.0)
            _form, answer, _fields = submit(browser, KEEP_ORG, self.rng, f"keep-{self.sent}")
        except (*TRANSPORT_ERRORS, AssertionError):
            return
        if answer.status == 200 and len(RECEIPT_GROUP.findall(answer.text)) == 5:
            self.acknowledged += 1

    def spec(self) -> dict[str, int]:
        return {"sent": self.sent, "acknowledged": self.acknowledged}


def check_kept(world: World) -> list[str]:
    """Every acknowledged request to keep is there or was shredded whole (after scan_retention)."""
    accounted = world.cache.get("keep accounted")
    if accounted is None:
        return []
    acknowledged = world.keep.get("acknowledged", 0)
    if accounted < acknowledged:
        return [f"keep: {acknowledged} requests were acknowledged, {accounted} are there or shredded"]
    return []
