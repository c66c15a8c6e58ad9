"""Crash-suite operations of applications and the journey (tests/support/crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operations and scanner register with the others.
Five writes, each one transaction that must be whole or absent after a kill -9:

- `application_start`: an application for the case's requester on a pathway (its row, the
  first step of its history, its audit entry);
- `application_status`: a status change (the application's status and version, a step of its
  history with the serial in its encrypted note, its audit entry);
- `travel_leg`: a leg of the journey (the serial in its encrypted origin, its audit entry);
- `departure`: the departure check and day (the journey's record, the case's move to `travel`
  with its timeline and audit entries);
- `arrival`: the arrival (the journey's record with the serial in the receiving partner, the
  first address in the requester's arrival compartment under its own key, the move to
  `arrived`, three follow-up tasks, their timeline and audit entries).

They run on cases of their own ("journeys", opened at set-up, `set_up_journeys`), one client
each, because a departure or an arrival happens once per case and moves its stage: the case
scan of crash_ops.py leaves these cases to `scan_journeys`. A start and a departure carry no
free text, so they are tied to their attempt by what they target: a client starts each pathway
at most once on a journey and sends at most one departure per journey.
"""

from __future__ import annotations

import datetime
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.support.crash_ops import (
    ACKED,
    Attempt,
    CrashClient,
    Response,
    Stored,
    _CaseInsert,
    _check_indexes,
    _notice_logout,
    _open_page,
    _post_staff,
    _where_to,
    _words,
    register,
    scanner,
    staff_ready,
    staff_session,
)

if TYPE_CHECKING:
    from refuge.accounts.models import User
    from refuge.cases.models import Case
    from tests.support.crash_verify import World

SERIALS = {
    "leg": re.compile(r"Leg (c\d+-\d+):"),
    "status": re.compile(r"Status (c\d+-\d+):"),
    "arrival": re.compile(r"Partner (c\d+-\d+)$"),
}
STATUS_OPTIONS = re.compile(r'<select name="status-status"[^>]*>(.*?)</select>', re.S)
OPTION = re.compile(r'<option value="([a-z]+)"')
APPLICATION_PATH = re.compile(r"/cases/[0-9a-f-]{36}/applications/([0-9a-f-]{36})/")
# Below the 20 legs a journey may have.
MAX_LEGS = 16
CITIES = ["Nalchik", "Москва", "Tbilisi", "Ереван", "Riga", "Vilnius"]
FOLLOW_UP_DAYS = (30, 90, 180)
STAGE_CODES = ("CASE_STAGE_CHANGED", "TASK_ADDED")


@dataclass
class JourneyTarget:
    """A case of one client's for applications and the journey, and what the client sent to it."""

    case: str
    person: str  # the requester, who applies and arrives
    pathways: list[str]  # the pathways offered, each started at most once here
    started: int = 0  # how many of `pathways` were used by a start (sent or not)
    applications: list[str] = field(default_factory=list)  # acknowledged starts
    finished: set[str] = field(default_factory=set)  # applications with no status left to move to
    legs_sent: int = 0
    legs_acked: int = 0
    departure_sent: bool = False
    departed: bool = False  # the departure was acknowledged
    arrival_sent: bool = False

    @classmethod
    def from_set_up(cls, data: dict[str, Any]) -> JourneyTarget:
        return cls(data["case"], data["person"], list(data["pathways"]))


def _today() -> str:
    return datetime.date.today().isoformat()


def _journeys(client: CrashClient, wanted: Any) -> list[JourneyTarget]:
    return [journey for journey in client.journeys if wanted(journey)] if staff_ready(client) else []


@register
class StartApplication(_CaseInsert):
    """POST /cases/<id>/applications/new/ for the requester on a pathway not started on this journey yet."""

    name = "application_start"
    weight = 0.08
    stores = "application"
    compared = ("case", "pathway")

    def ready(self, client: CrashClient) -> bool:
        return bool(_journeys(client, lambda j: j.started < len(j.pathways)))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        target = client.rng.choice(_journeys(client, lambda j: j.started < len(j.pathways)))
        pathway = target.pathways[target.started]
        target.started += 1  # never again on this journey, whatever comes of this attempt
        attempt.payload = {"case": target.case, "pathway": pathway}
        browser = staff_session(client, attempt)
        if browser is None:
            return
        assert client.staff is not None
        path = f"/cases/{target.case}/applications/new/"
        posted = {
            "csrfmiddlewaretoken": client.staff.csrf,
            "application-person": target.person,
            "application-pathway": pathway,
        }
        answers: list[Response] = []

        def call() -> Response:
            answers.append(browser.request("POST", path, posted))
            return answers[-1]

        acked = attempt.send(call, lambda r: r.status == 302 and APPLICATION_PATH.fullmatch(_where_to(r)) is not None)
        if answers:
            _notice_logout(client, answers[-1])
        if acked is not None:
            found = APPLICATION_PATH.fullmatch(_where_to(acked))
            assert found is not None
            attempt.payload["application"] = found.group(1)
            target.applications.append(found.group(1))

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        problems = super().check_acknowledged(world, attempt)
        if not problems and world.cache.get(("application id", attempt.serial)) != attempt.payload.get("application"):
            problems.append(f"acknowledged {self.name} {attempt.serial} is stored as another application")
        return problems


@register
class ChangeStatus(_CaseInsert):
    """A status the application's page offers (POST .../status/), the serial in its encrypted note."""

    name = "application_status"
    weight = 0.35  # a page read, then the change: slower than the others
    stores = "status"
    compared = ("application", "status", "note")

    def ready(self, client: CrashClient) -> bool:
        return bool(_journeys(client, lambda j: set(j.applications) - j.finished))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        rng = client.rng
        target = rng.choice(_journeys(client, lambda j: set(j.applications) - j.finished))
        application = rng.choice(sorted(set(target.applications) - target.finished))
        browser = staff_session(client, attempt)
        if browser is None:
            return
        path = f"/cases/{target.case}/applications/{application}/"
        page = _open_page(client, attempt, browser, path)
        if page is None:
            return
        select = STATUS_OPTIONS.search(page.text)
        offered = OPTION.findall(select.group(1)) if select else []
        if not offered:
            target.finished.add(application)
            attempt.detail = "no status left"
            return
        status = rng.choice(offered)
        note = f"Status {attempt.serial}: {_words(rng, 1, 10)}."
        attempt.payload = {"case": target.case, "application": application, "status": status, "note": note}
        fields = {
            "status-status": status,
            "status-on": _today(),
            "status-note": note,
            "status-visa_type": "",
            "status-valid_from": "",
            "status-valid_until": "",  # no visa end: it would add a task of its own
            "status-conditions": "",
            "status-refusal_reason": "",
        }
        _post_staff(client, attempt, browser, path + "status/", fields, path, token=page.csrf_token())
        if attempt.status == ACKED and status in ("granted", "withdrawn"):
            target.finished.add(application)  # nothing follows these


@register
class AddLeg(_CaseInsert):
    """A leg of the journey (POST /cases/<id>/travel/legs/), the serial in its encrypted origin."""

    name = "travel_leg"
    weight = 0.15
    stores = "leg"
    compared = ("case", "origin", "destination", "transit")

    def ready(self, client: CrashClient) -> bool:
        return bool(_journeys(client, lambda j: not j.departure_sent and j.legs_sent < MAX_LEGS))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        rng = client.rng
        target = rng.choice(_journeys(client, lambda j: not j.departure_sent and j.legs_sent < MAX_LEGS))
        target.legs_sent += 1
        transit = rng.choice(["", "Latvia", "Грузия"])
        attempt.payload = {
            "case": target.case,
            "origin": f"Leg {attempt.serial}: {rng.choice(CITIES)}",
            "destination": rng.choice(CITIES),
            "transit": [transit] if transit else [],
        }
        browser = staff_session(client, attempt)
        if browser is None:
            return
        fields = {
            "leg-departs_on": _today(),
            "leg-origin": attempt.payload["origin"],
            "leg-destination": attempt.payload["destination"],
            "leg-transport": "",
            "leg-transit": transit,
            "leg-exit_risk": "",
            "leg-accompanied_by": "",
        }
        done = f"/cases/{target.case}/travel/"
        _post_staff(client, attempt, browser, done + "legs/", fields, done)
        if attempt.status == ACKED:
            target.legs_acked += 1


@register
class RecordDeparture(_CaseInsert):
    """The departure check confirmed and the day (POST /cases/<id>/travel/departure/): the case moves to travel."""

    name = "departure"
    weight = 0.4  # once per journey: ready rarely, taken when it is
    stores = "departure"
    # It can only follow an acknowledged leg, and the arrival it: the load may go on longer while
    # either is below its floor (crash_ops.Operation.patience; on PostgreSQL at load ~19 the
    # arrival made 5 of its 6 without, and with 2).
    patience = 3.0
    compared = ("case", "departed_on")

    def ready(self, client: CrashClient) -> bool:
        return bool(_journeys(client, lambda j: j.legs_acked > 0 and not j.departure_sent))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        target = client.rng.choice(_journeys(client, lambda j: j.legs_acked > 0 and not j.departure_sent))
        target.departure_sent = True  # at most one departure per journey: the verifier ties it by its case
        attempt.payload = {"case": target.case, "departed_on": _today()}
        browser = staff_session(client, attempt)
        if browser is None:
            return
        fields = {
            "departure-departed_on": attempt.payload["departed_on"],
            "departure-passport_valid": "on",
            "departure-visa_valid": "on",
            "departure-exit_risk_reviewed": "on",
            "departure-shelter_ended": "on",
        }
        done = f"/cases/{target.case}/travel/"
        _post_staff(client, attempt, browser, done + "departure/", fields, done)
        target.departed = attempt.status == ACKED


@register
class RecordArrival(_CaseInsert):
    """The arrival (POST /cases/<id>/travel/arrival/): the serial in the receiving partner, a first address."""

    name = "arrival"
    weight = 0.6  # as the departure; it needs one acknowledged first
    stores = "arrival"
    patience = 3.0  # as the departure's
    compared = ("case", "arrived_on", "receiving_partner", "first_address")

    def ready(self, client: CrashClient) -> bool:
        return bool(_journeys(client, lambda j: j.departed and not j.arrival_sent))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        target = client.rng.choice(_journeys(client, lambda j: j.departed and not j.arrival_sent))
        target.arrival_sent = True
        attempt.payload = {
            "case": target.case,
            "arrived_on": _today(),
            "receiving_partner": f"Partner {attempt.serial}",
            "first_address": f"{client.rng.choice(CITIES)}, {attempt.serial} street 1",
        }
        browser = staff_session(client, attempt)
        if browser is None:
            return
        fields = {
            "arrival-arrived_on": attempt.payload["arrived_on"],
            "arrival-status_at_destination": "",
            "arrival-receiving_partner": attempt.payload["receiving_partner"],
            "arrival-first_address": attempt.payload["first_address"],
            "arrival-owner": "",
        }
        done = f"/cases/{target.case}/travel/"
        _post_staff(client, attempt, browser, done + "arrival/", fields, done)


# --- set-up side ------------------------------------------------------------------------------------


def set_up_journeys(world: World, users: list[User], per_worker: int) -> list[dict[str, Any]]:
    """`per_worker` cases for each worker, a team like the edited cases' (worker i, worker i+1, the
    coordinator), opened from a portal submission; inside set_up_cases's transaction."""
    from refuge.audit.events import AuditEvent
    from refuge.audit.models import AuditEntry
    from refuge.cases.actions.opening import do_accept_request
    from refuge.cases.models import Person, Priority
    from refuge.intake.actions.submissions import do_submit_request
    from refuge.relocation.queries import pathways_of

    organisation, coordinator = world.organisation, world.keyring.user
    pathways = [str(pk) for pk in pathways_of(organisation.pk).order_by("pk").values_list("pk", flat=True)]
    made = []
    for index, user in enumerate(users):
        partner = users[(index + 1) % len(users)]
        team = list({member.pk: member for member in (user, partner, coordinator)}.values())
        for number in range(per_worker):
            answers = {"what_happened": f"Journey {index}-{number}.", "name": "Ислам Дудаев", "phone": "+7 900 2"}
            submitted = do_submit_request(organisation=organisation, answers=answers, urgency="weeks", language="en")
            case = do_accept_request(
                actor=coordinator, keyring=world.keyring, request=submitted.request, team=team, priority=Priority.URGENT
            )
            audits = Counter(AuditEntry.objects.filter(object_id=str(case.pk)).values_list("code", flat=True))
            made.append(
                {
                    "case": str(case.pk),
                    "person": str(Person.objects.get(case=case).pk),
                    "worker": index,
                    "stage": case.stage,
                    "pathways": pathways,
                    "audits": {code: audits[int(AuditEvent[code])] for code in STAGE_CODES},
                }
            )
    return made


# --- checking side ------------------------------------------------------------------------------------


def _tied(world: World) -> dict[tuple[str, ...], str]:
    """Starts and departures by what they targeted: (kind, case[, pathway]) → the serial of the attempt."""
    tied: dict[tuple[str, ...], str] = {}
    for attempt in world.attempts:
        payload = attempt.payload
        if attempt.op == "application_start" and payload:
            tied[("application", payload["case"], payload["pathway"])] = attempt.serial
        elif attempt.op == "departure" and payload:
            tied[("departure", payload["case"])] = attempt.serial
    return tied


@scanner
def scan_journeys(world: World) -> Iterator[Stored | str]:
    """Every journey's case, opened with the team's key: its applications and their history, its legs,
    its departure and arrival, and what they must have brought along (the stage, its timeline and audit
    entries, the follow-up tasks, the arrival compartment), each whole or absent."""
    from refuge.cases.models import Case, TeamMember

    journeys = world.setup.get("journeys", {})
    if not journeys:
        return
    cases = list(Case.objects.filter(pk__in=list(journeys)).select_related("key", "request__key"))
    if len(cases) != len(journeys):
        yield f"the journeys' cases are {len(cases)}, not the {len(journeys)} the set-up opened"
    teams: dict[Any, set[Any]] = {}
    for case_id, user_id in TeamMember.objects.filter(case__in=cases).values_list("case_id", "user_id"):
        teams.setdefault(case_id, set()).add(user_id)
    tied = _tied(world)
    for case in sorted(cases, key=lambda c: c.reference):
        world.cache[("reference", str(case.pk))] = case.reference
        try:
            yield from _scan_journey(world, case, teams.get(case.pk, set()), journeys[str(case.pk)], tied)
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"case {case.reference} does not open with the team's key: {type(error).__name__}: {error}"


def _scan_journey(
    world: World, case: Case, team: set[Any], base: dict[str, Any], tied: dict[tuple[str, ...], str]
) -> Iterator[Stored | str]:
    from refuge.applications.models import Journey, TravelLeg
    from refuge.applications.travel import JourneyDetails
    from refuge.audit.events import AuditEvent
    from refuge.cases.models import CaseEvent, Compartment, EventKind, Task
    from refuge.intake.queries import read_answers
    from refuge.keyring.models import HolderKind
    from refuge.keyring.records import decrypt_text
    from refuge.relocation.audit_events import RelocationEvent

    where, case_id = f"case {case.reference}", str(case.pk)
    setup = world.setup.get("cases", {}).get(case_id, {"version": 1, "events": {}})
    both = {HolderKind.USER, HolderKind.RECOVERY}
    wraps = world.wraps_of([case.key_id, case.request.key_id] if case.request else [case.key_id])
    secret = world.team_secret(case.key, both, wraps.get(case.key_id, []), team)
    if case.request is not None:
        holders: set[str] = {HolderKind.USER, HolderKind.REQUESTER, HolderKind.RECOVERY}
        read_answers(
            case.request, world.team_secret(case.request.key, holders, wraps.get(case.request.key_id, []), team)
        )

    address = None
    compartments = list(Compartment.objects.filter(person__case=case).select_related("key", "person"))
    compartment_wraps = world.wraps_of([c.key_id for c in compartments])
    for compartment in compartments:
        label = f"{where}, {compartment.kind} compartment"
        if compartment.kind == "identity":
            opened = world.team_secret(compartment.key, both, compartment_wraps.get(compartment.key_id, []), team)
            content = json.loads(decrypt_text(compartment, "content", opened, compartment.key))
            yield from _check_indexes(world, compartment, content, label, edited=False)
        elif compartment.kind == "arrival":
            # Held by the member who recorded the arrival (and recovery), not by the team.
            opened = world.team_secret(compartment.key, both, compartment_wraps.get(compartment.key_id, []))
            address = json.loads(decrypt_text(compartment, "content", opened, compartment.key)).get("first_address")
            if compartment.version != 1 or world.audit_count(AuditEvent.COMPARTMENT_WRITTEN, compartment.pk) != 1:
                yield f"{label}: not one write with its 'COMPARTMENT_WRITTEN' audit entry"
        else:
            yield f"{label}: no client writes one"

    yield from _scan_applications(world, case, secret, tied)
    legs = list(TravelLeg.objects.filter(case=case).order_by("seq"))
    if [leg.seq for leg in legs] != list(range(1, len(legs) + 1)):
        yield f"{where}: the legs are numbered {[leg.seq for leg in legs]}"
    for leg in legs:
        details = json.loads(decrypt_text(leg, "details", secret, leg.key))
        content = {k: details.get(k) for k in ("origin", "destination", "transit")} | {"case": case_id}
        serial = _serial("leg", str(details.get("origin")), where)
        world.cache.setdefault(("leg", serial), []).append(content)
        yield Stored(serial, "leg", content, f"{where}, leg {leg.seq}")
    if world.audit_count(RelocationEvent.TRAVEL_LEG_ADDED, case_id) != len(legs):
        yield f"{where}: {len(legs)} legs but not as many 'TRAVEL_LEG_ADDED' audit entries"

    journey = Journey.objects.filter(case=case).first()
    details = JourneyDetails.from_json(decrypt_text(journey, "details", secret, journey.key)) if journey else None
    departed = bool(details and details.departure.departed_on)
    arrived = bool(details and details.arrival.arrived_on)
    if journey is not None and not departed:
        yield f"{where}: a journey without its departure"
    if journey is not None and (bool(journey.departed_month) != departed or bool(journey.arrived_month) != arrived):
        yield f"{where}: the journey's months in clear disagree with its record"
    if details is not None and departed:
        departure = details.departure
        checks = departure.passport_valid and departure.visa_valid and departure.exit_risk_reviewed
        content = {"case": case_id, "departed_on": departure.departed_on if checks and departure.shelter_ended else ""}
        serial = tied.get(("departure", case_id), f"? ({where}, departure)")
        world.cache.setdefault(("departure", serial), []).append(content)
        yield Stored(serial, "departure", content, f"{where}, departure")
    if details is not None and arrived:
        arrival = details.arrival
        content = {
            "case": case_id,
            "arrived_on": arrival.arrived_on,
            "receiving_partner": arrival.receiving_partner,
            "first_address": address,
        }
        serial = _serial("arrival", arrival.receiving_partner, where)
        world.cache.setdefault(("arrival", serial), []).append(content)
        yield Stored(serial, "arrival", content, f"{where}, arrival")
    elif address is not None:
        yield f"{where}: an arrival compartment without an arrival"

    # What the departure and the arrival brought along: the stage, its version, tasks, timeline, audit.
    moves = int(departed) + int(arrived)
    stage = "arrived" if arrived else "travel" if departed else base["stage"]
    if case.stage != stage or case.version != setup["version"] + moves:
        yield f"{where}: at stage {case.stage} (version {case.version}) after {moves} stage records"
    tasks = list(Task.objects.filter(case=case).order_by("due_on"))
    for task in tasks:
        decrypt_text(task, "title", secret, case.key)
    if arrived:
        on = datetime.date.fromisoformat(details.arrival.arrived_on)  # type: ignore[union-attr]
        wanted = [on + datetime.timedelta(days=days) for days in FOLLOW_UP_DAYS]
    else:
        wanted = []
    if [task.due_on for task in tasks] != wanted:
        yield f"{where}: tasks due {[task.due_on for task in tasks]}, the arrival wants {wanted}"
    events: Counter[str] = Counter()
    for event in CaseEvent.objects.filter(case=case):
        decrypt_text(event, "detail", secret, case.key)
        events[str(event.kind)] += 1
    expected: Counter[str] = Counter(setup["events"])
    expected[EventKind.STAGE.value] += moves
    expected[EventKind.TASK.value] += len(wanted)
    expected[EventKind.COMPARTMENT.value] += int(address is not None)
    if +events != +expected:
        yield f"{where}: timeline entries {dict(+events)}, expected {dict(+expected)}"
    counts = {
        "CASE_STAGE_CHANGED": (AuditEvent.CASE_STAGE_CHANGED, base["audits"]["CASE_STAGE_CHANGED"] + moves),
        "TASK_ADDED": (AuditEvent.TASK_ADDED, base["audits"]["TASK_ADDED"] + len(wanted)),
        "DEPARTURE_RECORDED": (RelocationEvent.DEPARTURE_RECORDED, int(departed)),
        "ARRIVAL_RECORDED": (RelocationEvent.ARRIVAL_RECORDED, int(arrived)),
    }
    for name, (code, made) in counts.items():
        if world.audit_count(code, case_id) != made:
            yield f"{where}: {made} writes but {world.audit_count(code, case_id)} '{name}' audit entries"


def _scan_applications(
    world: World, case: Case, secret: bytes, tied: dict[tuple[str, ...], str]
) -> Iterator[Stored | str]:
    """Each application: its folder decrypts, its history is whole (numbered from 1, starting as
    preparing, ending at its status, one version per step) with one audit entry per step."""
    from refuge.applications.actions import read_details
    from refuge.applications.models import Application, StatusChange
    from refuge.keyring.records import decrypt_text
    from refuge.relocation.audit_events import RelocationEvent

    case_id = str(case.pk)
    for application in Application.objects.filter(case=case).select_related("key").order_by("pk"):
        where = f"case {case.reference}, application {application.pk}"
        read_details(application, secret)
        steps = list(StatusChange.objects.filter(application=application).select_related("key").order_by("seq"))
        if (
            [step.seq for step in steps] != list(range(1, len(steps) + 1))
            or not steps
            or steps[0].status != "preparing"
            or steps[-1].status != application.status
            or application.version != len(steps)
        ):
            yield f"{where}: version {application.version}, status {application.status}, history {[s.status for s in steps]}"
            continue
        started = world.audit_count(RelocationEvent.APPLICATION_STARTED, application.pk)
        changed = world.audit_count(RelocationEvent.APPLICATION_STATUS_CHANGED, application.pk)
        if (started, changed) != (1, len(steps) - 1):
            yield f"{where}: {len(steps)} steps but {started} + {changed} audit entries"
        serial = tied.get(("application", case_id, str(application.pathway_id)), f"? ({where}, start)")
        content = {"case": case_id, "pathway": str(application.pathway_id)}
        world.cache.setdefault(("application", serial), []).append(content)
        world.cache[("application id", serial)] = str(application.pk)
        yield Stored(serial, "application", content, f"{where}, start")
        for step in steps[1:]:
            note = json.loads(decrypt_text(step, "detail", secret, step.key)).get("note", "")
            stored = {"application": str(application.pk), "status": step.status, "note": note}
            serial = _serial("status", note, where)
            world.cache.setdefault(("status", serial), []).append(stored)
            yield Stored(serial, "status", stored, f"{where}, step {step.seq}")


def _serial(kind: str, text: str, where: str) -> str:
    found = SERIALS[kind].match(text)
    return found.group(1) if found else f"? ({where}, {kind})"
