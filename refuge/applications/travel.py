"""Travel and arrival: legs, the departure check, arrival and follow-ups, and the stage moves they make.

The case's stage follows these records instead of being typed: recording the departure moves it
to `travel`, recording the arrival to `arrived` (with follow-up tasks at 30, 90 and 180 days),
and closing as relocated — possible only once an arrival is recorded — to `closed (relocated)`.
Each is one act, one transaction, audited (codes 12xx), and goes through the case's own stage
table (`cases.stages`), so a case that cannot make the move is refused with nothing written.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from refuge.accounts.models import User
from refuge.applications.actions import first_of_month
from refuge.applications.models import Journey, TravelLeg
from refuge.audit.actions import record
from refuge.cases.access import is_team_member
from refuge.cases.actions.details import do_change_stage
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.models import Case, CaseDocument, ClosingReason, Stage
from refuge.cases.stages import can_move
from refuge.core.errors import UserError
from refuge.keyring.keyring import Keyring
from refuge.keyring.registry import decrypt_text, encrypt_column
from refuge.relocation.audit_events import RelocationEvent

MAX_TRAVEL_TEXT_CHARS = 1000
MAX_TRAVEL_LEGS = 20
FOLLOW_UP_DAYS = (30, 90, 180)


@dataclass
class Leg:
    departs_on: str
    origin: str
    destination: str
    transport: str = ""
    transit: list[str] = field(default_factory=list)
    exit_risk: str = ""
    accompanied_by: str = ""
    tickets: list[str] = field(default_factory=list)  # case document ids


@dataclass
class Departure:
    departed_on: str = ""
    # What the member confirmed before leaving (the departure check).
    passport_valid: bool = False
    visa_valid: bool = False
    exit_risk_reviewed: bool = False
    shelter_ended: bool = False


@dataclass
class Arrival:
    arrived_on: str = ""
    status_at_destination: str = ""
    receiving_partner: str = ""
    first_address: str = ""


@dataclass
class JourneyDetails:
    departure: Departure = field(default_factory=Departure)
    arrival: Arrival = field(default_factory=Arrival)

    @classmethod
    def from_json(cls, text: str) -> JourneyDetails:
        data = json.loads(text)
        return cls(departure=Departure(**data.get("departure", {})), arrival=Arrival(**data.get("arrival", {})))


def _check_on_team(actor: User, case: Case) -> None:
    if case.organisation_id != actor.organisation_id or not is_team_member(actor, case):
        raise UserError("not_on_team", _("Only members of the case's team can do this."))


def _text(value: str, name: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TRAVEL_TEXT_CHARS:
        raise UserError("too_long", _("This is too long."), field=name)
    return text


def _audit(event: RelocationEvent, actor: User, case: Case) -> None:
    record(event, actor_id=actor.pk, organisation_id=case.organisation_id, object_type="case", object_id=case.pk)


def _move(actor: User, keyring: Keyring, case: Case, stage: str, reason: str = "") -> None:
    current = Case.objects.get(pk=case.pk)
    if not can_move(current.stage, stage):
        raise UserError("bad_stage", _("The case cannot move to this stage from where it is now."))
    do_change_stage(
        actor=actor, keyring=keyring, case=case, stage=stage, version=current.version, closing_reason=reason
    )


def do_add_travel_leg(*, actor: User, keyring: Keyring, case: Case, leg: Leg) -> TravelLeg:
    """Plan one leg of the journey (dates, route, transit countries, exit risks, tickets, who goes along)."""
    _check_on_team(actor, case)
    for name in ("origin", "destination", "transport", "exit_risk", "accompanied_by"):
        setattr(leg, name, _text(getattr(leg, name), name))
    leg.transit = [_text(country, "transit") for country in leg.transit if country.strip()]
    if not leg.origin or not leg.destination:
        raise UserError("required", _("Say where the leg starts and ends."), field="origin")
    documents = {str(pk) for pk in CaseDocument.objects.filter(case=case).values_list("pk", flat=True)}
    if any(ticket not in documents for ticket in leg.tickets):
        raise UserError("not_a_document", _("Choose a document of this case."), field="tickets")
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        last = TravelLeg.objects.filter(case=case).aggregate(seq=Max("seq"))["seq"] or 0
        if last >= MAX_TRAVEL_LEGS:
            raise UserError("too_many", _("A journey has at most 20 legs."), field="origin")
        row = TravelLeg(case=case, key=case.key, seq=last + 1, added_by=actor)
        encrypt_column(row, "details", json.dumps(asdict(leg), ensure_ascii=False), secret, case.key)
        row.save(force_insert=True)
        _audit(RelocationEvent.TRAVEL_LEG_ADDED, actor, case)
    return row


def _journey(case: Case, secret: bytes) -> tuple[Journey, JourneyDetails]:
    journey = Journey.objects.select_for_update().filter(case=case).first()
    if journey is None:
        return Journey(case=case, key=case.key), JourneyDetails()
    return journey, JourneyDetails.from_json(decrypt_text(journey, "details", secret, journey.key))


def _save(journey: Journey, details: JourneyDetails, secret: bytes) -> None:
    encrypt_column(journey, "details", json.dumps(asdict(details), ensure_ascii=False), secret, journey.key)
    journey.save()


def do_record_departure(*, actor: User, keyring: Keyring, case: Case, departure: Departure) -> Journey:
    """The departure check passed and the person left: the case moves to `travel`."""
    _check_on_team(actor, case)
    checks = (departure.passport_valid, departure.visa_valid, departure.exit_risk_reviewed, departure.shelter_ended)
    if not all(checks):
        raise UserError(
            "check", _("Every item of the departure check must be confirmed first."), field="passport_valid"
        )
    if not TravelLeg.objects.filter(case=case).exists():
        raise UserError("no_legs", _("Plan the journey's legs before recording the departure."), field="departed_on")
    departed = datetime.date.fromisoformat(departure.departed_on)
    if departed > timezone.localdate():
        raise UserError("future", _("Record the departure once it happened."), field="departed_on")
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        journey, details = _journey(case, secret)
        details.departure = departure
        journey.departed_month = first_of_month(departed)
        _save(journey, details, secret)
        _move(actor, keyring, case, Stage.TRAVEL)
        _audit(RelocationEvent.DEPARTURE_RECORDED, actor, case)
    return journey


def do_record_arrival(*, actor: User, keyring: Keyring, case: Case, arrival: Arrival, owner: User | None) -> Journey:
    """The person arrived: the case moves to `arrived`, with follow-ups at 30, 90 and 180 days."""
    _check_on_team(actor, case)
    for name in ("status_at_destination", "receiving_partner", "first_address"):
        setattr(arrival, name, _text(getattr(arrival, name), name))
    arrived = datetime.date.fromisoformat(arrival.arrived_on)
    if arrived > timezone.localdate():
        raise UserError("future", _("Record the arrival once it happened."), field="arrived_on")
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        journey, details = _journey(case, secret)
        if not details.departure.departed_on:
            raise UserError("not_departed", _("Record the departure first."), field="arrived_on")
        if arrived < datetime.date.fromisoformat(details.departure.departed_on):
            raise UserError("before_departure", _("The arrival cannot be before the departure."), field="arrived_on")
        details.arrival = arrival
        journey.arrived_month = first_of_month(arrived)
        journey.days_to_arrival = max(0, (arrived - case.opened_on).days)
        _save(journey, details, secret)
        _move(actor, keyring, case, Stage.ARRIVED)
        for days in FOLLOW_UP_DAYS:
            title = _("Follow-up %(days)s days after arrival: safety, status, housing") % {"days": days}
            do_add_task(
                actor=actor,
                keyring=keyring,
                case=case,
                title=title,
                due_on=arrived + datetime.timedelta(days=days),
                owner=owner,
            )
        _audit(RelocationEvent.ARRIVAL_RECORDED, actor, case)
    return journey


def do_close_relocated(*, actor: User, keyring: Keyring, case: Case) -> None:
    """Close the case as relocated: only once its arrival is recorded."""
    _check_on_team(actor, case)
    if not Journey.objects.filter(case=case, arrived_month__isnull=False).exists():
        raise UserError("not_arrived", _("A case is closed as relocated once its arrival is recorded."))
    with transaction.atomic():
        _move(actor, keyring, case, Stage.CLOSED, ClosingReason.RELOCATED)
        _audit(RelocationEvent.RELOCATION_CLOSED, actor, case)


@dataclass(frozen=True)
class TravelPage:
    legs: list[Leg]
    journey: JourneyDetails
    arrived: bool
    departed: bool


def read_travel(keyring: Keyring, case: Case) -> TravelPage:
    """The case's legs and journey, decrypted (the caller has reached the case as a team member)."""
    secret = keyring.secret_for(case.key)
    legs = [
        Leg(**json.loads(decrypt_text(row, "details", secret, row.key)))
        for row in TravelLeg.objects.filter(case=case).select_related("key").order_by("seq")
    ]
    journey = Journey.objects.filter(case=case).select_related("key").first()
    details = (
        JourneyDetails.from_json(decrypt_text(journey, "details", secret, journey.key)) if journey else JourneyDetails()
    )
    return TravelPage(legs, details, bool(details.arrival.arrived_on), bool(details.departure.departed_on))


def do_record_travel_read(*, actor: User, case: Case) -> None:
    with transaction.atomic():
        _audit(RelocationEvent.TRAVEL_READ, actor, case)
