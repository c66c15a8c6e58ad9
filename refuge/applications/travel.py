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
from refuge.cases.access import holds_key, is_team_member
from refuge.cases.actions.compartments import do_save_compartment
from refuge.cases.actions.details import change_stage_on_record
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.models import (
    Case,
    CaseDocument,
    ClosingReason,
    Compartment,
    CompartmentKind,
    Person,
    PersonRole,
    Stage,
)
from refuge.cases.queries import read_compartment
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
    # The first address is not here: it is kept in the person's arrival compartment (_keep_first_address).


@dataclass
class JourneyDetails:
    departure: Departure = field(default_factory=Departure)
    arrival: Arrival = field(default_factory=Arrival)
    # A first address stored under the case key before it had a compartment (until a team member
    # who may write the compartment opens the travel page: do_move_first_address). Never written back.
    address_to_move: str = ""

    @classmethod
    def from_json(cls, text: str) -> JourneyDetails:
        data = json.loads(text)
        arrival = dict(data.get("arrival", {}))
        address_to_move = arrival.pop("first_address", "")
        return cls(Departure(**data.get("departure", {})), Arrival(**arrival), address_to_move)

    def to_json(self) -> str:
        return json.dumps({"departure": asdict(self.departure), "arrival": asdict(self.arrival)}, ensure_ascii=False)


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
    change_stage_on_record(actor=actor, keyring=keyring, case=case, stage=stage, closing_reason=reason)


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
    encrypt_column(journey, "details", details.to_json(), secret, journey.key)
    journey.save()


def address_holder(case: Case) -> Person | None:
    """Whose arrival compartment keeps the case's first address: its requester, else its first person."""
    people = Person.objects.filter(case=case).order_by("added_on", "pseudonym")
    return people.filter(role=PersonRole.REQUESTER).first() or people.first()


def _keep_first_address(actor: User, keyring: Keyring, case: Case, address: str) -> None:
    """Write the first address into the arrival compartment, under its own key (only its holders read it)."""
    person = address_holder(case)
    if person is None:
        raise UserError("no_person", _("Add the person to the case first."), field="first_address")
    existing = Compartment.objects.select_related("key").filter(person=person, kind=CompartmentKind.ARRIVAL).first()
    content: dict[str, str] = {}
    version = None
    if existing is not None:
        if not holds_key(actor, existing.key):
            message = _("The first address is kept in %(person)s's compartment, which you have not been given.")
            raise UserError("not_granted", message % {"person": person.pseudonym}, field="first_address")
        content, version = read_compartment(existing, keyring), existing.version
    content["first_address"] = address
    do_save_compartment(
        actor=actor, keyring=keyring, person=person, kind=CompartmentKind.ARRIVAL, data=content, version=version
    )


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


def do_record_arrival(
    *, actor: User, keyring: Keyring, case: Case, arrival: Arrival, first_address: str = "", owner: User | None
) -> Journey:
    """The person arrived: the case moves to `arrived`, with follow-ups at 30, 90 and 180 days.

    The first address goes into the arrival compartment of the case's requester, not under the case key.
    """
    _check_on_team(actor, case)
    for name in ("status_at_destination", "receiving_partner"):
        setattr(arrival, name, _text(getattr(arrival, name), name))
    first_address = _text(first_address, "first_address")
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
        if first_address:
            _keep_first_address(actor, keyring, case, first_address)
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


def do_move_first_address(*, actor: User, keyring: Keyring, case: Case) -> bool:
    """Move a first address stored under the case key (before issue #12's compartment) into the compartment.

    No database migration can do this: the server holds no case key. So the first team member who
    opens the travel page and may write the compartment moves it, in one transaction; False if there
    was nothing to move or this member may not write the compartment (the page then hides the address).
    """
    _check_on_team(actor, case)
    stored = Journey.objects.select_related("key").filter(case=case).first()
    secret = keyring.secret_for(case.key)
    # Read first, without a lock or a write transaction: nearly every page has nothing to move.
    if (
        stored is None
        or not JourneyDetails.from_json(decrypt_text(stored, "details", secret, stored.key)).address_to_move
    ):
        return False
    with transaction.atomic():
        journey, details = _journey(case, secret)
        if not details.address_to_move:
            return False  # moved meanwhile by someone else
        person = address_holder(case)
        held = Compartment.objects.select_related("key").filter(person=person, kind=CompartmentKind.ARRIVAL).first()
        if person is None or (held is not None and not holds_key(actor, held.key)):
            return False
        try:
            with transaction.atomic():
                _keep_first_address(actor, keyring, case, details.address_to_move)
        except UserError:
            # What the compartment refuses (a control character typed before its checks) stays where it
            # was, and the page shows it as before: refusing the page would lock the team out of it.
            return False
        _save(journey, details, secret)  # written back without it
        _audit(RelocationEvent.FIRST_ADDRESS_MOVED, actor, case)
    return True


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
