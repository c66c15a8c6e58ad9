"""Every write to the shelter register: one function, one transaction, its audit entry.

Keys: each shelter's key (city, rules) is held by the organisation's coordinators
and by the team members of cases with someone placed there; its address key by
coordinators and whoever a coordinator grants it to. A coordinator holding the shelter
key who places a person gives it to the case's team at once (their act names them). A
caseworker who places a person cannot wrap a key they do not hold: the team is owed the
key (refuge/accounts/grants.py) until a holder approves each grant.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.grants import coordinator_key_holders, queue_grants, withdraw_grants
from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.cases.access import holds_key, is_team_member
from refuge.cases.actions.base import add_event, today, touch
from refuge.cases.models import EventKind, Person, TeamMember
from refuge.core.errors import UserError
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.wraps import do_grant_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import GrantReason, Purpose
from refuge.keyring.records import encrypt_column
from refuge.shelter.access import can_manage_shelters
from refuge.shelter.models import Placement, Shelter, ShelterAddress

MAX_CODE_NAME_CHARS = 40
MAX_CAPACITY = 500
MAX_SHELTER_TEXT_CHARS = 5_000


@dataclass(frozen=True)
class ShelterDetails:
    code_name: str
    capacity: int
    city: str
    rules: str
    address: str


def _clean(details: ShelterDetails) -> ShelterDetails:
    code_name = details.code_name.strip()
    if not code_name:
        raise UserError("required", _("Give the shelter a code name."), field="code_name")
    if len(code_name) > MAX_CODE_NAME_CHARS:
        raise UserError("too_long", _("A code name has at most 40 characters."), field="code_name")
    if not 1 <= details.capacity <= MAX_CAPACITY:
        raise UserError("bad_capacity", _("Capacity is between 1 and 500 people."), field="capacity")
    for name in ("city", "rules", "address"):
        if len(getattr(details, name)) > MAX_SHELTER_TEXT_CHARS:
            raise UserError("too_long", _("This is too long: at most 5,000 characters."), field=name)
    return ShelterDetails(
        code_name, details.capacity, details.city.strip(), details.rules.strip(), details.address.strip()
    )


def do_create_shelter(*, actor: User, details: ShelterDetails) -> Shelter:
    """Add a safe house; its keys are wrapped for every coordinator and recovery."""
    if not can_manage_shelters(actor):
        raise UserError("not_allowed", _("Only coordinators manage shelters."))
    details = _clean(details)
    with transaction.atomic():
        holders = coordinator_key_holders(actor.organisation_id)
        key, secret = do_create_key(
            actor=actor, organisation=actor.organisation, purpose=Purpose.RECORD, label="shelter", members=holders
        )
        address_key, address_secret = do_create_key(
            actor=actor,
            organisation=actor.organisation,
            purpose=Purpose.RECORD,
            label="shelter-address",
            members=holders,
        )
        shelter = Shelter(
            organisation=actor.organisation,
            code_name=details.code_name,
            capacity=details.capacity,
            key=key,
            created_on=today(),
        )
        encrypt_column(shelter, "city", details.city, secret, key)
        encrypt_column(shelter, "rules", details.rules, secret, key)
        try:
            with transaction.atomic():
                shelter.save(force_insert=True)
        except IntegrityError:
            raise UserError(
                "code_name_taken", _("Another shelter already has this code name."), field="code_name"
            ) from None
        address = ShelterAddress(shelter=shelter, key=address_key)
        encrypt_column(address, "address", details.address, address_secret, address_key)
        address.save(force_insert=True)
        _audit(AuditEvent.SHELTER_CREATED, actor, shelter)
    return shelter


def do_edit_shelter(
    *, actor: User, keyring: Keyring, shelter: Shelter, details: ShelterDetails, active: bool, version: int
) -> None:
    """Change a shelter's details; the address only if the actor holds its key."""
    if not can_manage_shelters(actor) or shelter.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("Only coordinators manage shelters."))
    details = _clean(details)
    with transaction.atomic():
        locked = Shelter.objects.select_for_update().select_related("key").get(pk=shelter.pk)
        if locked.version != version:
            raise UserError(
                "conflict",
                _("Someone else changed this shelter while you were editing it. Your changes were not saved."),
            )
        secret = keyring.secret_for(locked.key)
        locked.code_name, locked.capacity, locked.active = details.code_name, details.capacity, active
        encrypt_column(locked, "city", details.city, secret, locked.key)
        encrypt_column(locked, "rules", details.rules, secret, locked.key)
        locked.version += 1
        try:
            with transaction.atomic():
                locked.save(update_fields=["code_name", "capacity", "active", "city", "rules", "version"])
        except IntegrityError:
            raise UserError(
                "code_name_taken", _("Another shelter already has this code name."), field="code_name"
            ) from None
        address = ShelterAddress.objects.select_related("key").get(shelter=locked)
        if holds_key(actor, address.key):
            encrypt_column(address, "address", details.address, keyring.secret_for(address.key), address.key)
            address.version += 1
            address.save(update_fields=["address", "version"])
        _audit(AuditEvent.SHELTER_EDITED, actor, locked)
    shelter.version = locked.version


def do_grant_shelter_address(*, actor: User, keyring: Keyring, shelter: Shelter, member: User) -> None:
    """Give one member the address (e.g. the caseworker who takes the person there)."""
    if not can_manage_shelters(actor) or shelter.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("Only coordinators manage shelters."))
    address = ShelterAddress.objects.select_related("key").get(shelter=shelter)
    with transaction.atomic():
        do_grant_key(actor=actor, keyring=keyring, key=address.key, member=member)
        _audit(AuditEvent.SHELTER_KEYS_SHARED, actor, shelter)


def do_place_person(
    *,
    actor: User,
    keyring: Keyring,
    person: Person,
    shelter: Shelter,
    starts_on: datetime.date,
    planned_until: datetime.date | None,
) -> Placement:
    """Place a person of one of the actor's cases in a shelter with room."""
    case = person.case
    if not is_team_member(actor, case):
        raise UserError("not_on_team", _("Only members of the case's team can do this."))
    if shelter.organisation_id != actor.organisation_id or not shelter.active:
        raise UserError("bad_shelter", _("Choose one of the shelters."), field="shelter")
    if planned_until is not None and planned_until < starts_on:
        raise UserError("bad_dates", _("The planned end is before the start."), field="planned_until")
    with transaction.atomic():
        locked = Shelter.objects.select_for_update().select_related("key").get(pk=shelter.pk)
        if Placement.objects.filter(person=person, ended_on__isnull=True).exists():
            raise UserError("already_placed", _("This person is already in a shelter. End that stay first."))
        if Placement.objects.filter(shelter=locked, ended_on__isnull=True).count() >= locked.capacity:
            raise UserError(
                "shelter_full", _("This shelter is full. Choose another or end a stay first."), field="shelter"
            )
        placement = Placement.objects.create(
            organisation_id=actor.organisation_id,
            shelter=locked,
            person=person,
            case=case,
            starts_on=starts_on,
            planned_until=planned_until,
        )
        team = [m.user for m in TeamMember.objects.filter(case=case).select_related("user")]
        if holds_key(actor, locked.key):
            _share_shelter_key(actor, keyring, locked, team)
        else:
            # The placing member cannot wrap what they do not hold: the team is owed the key.
            queue_grants(
                key=locked.key, members=team, reason=GrantReason.PLACEMENT, requested_by=actor, case_id=case.pk
            )
        touch(case)
        add_event(
            case,
            keyring.secret_for(case.key),
            EventKind.PLACED,
            actor,
            {"pseudonym": person.pseudonym, "shelter": locked.code_name},
        )
        _audit(AuditEvent.PLACEMENT_STARTED, actor, locked)
    return placement


def do_end_placement(*, actor: User, keyring: Keyring, placement: Placement, ended_on: datetime.date) -> None:
    case = placement.case
    if not (is_team_member(actor, case) or can_manage_shelters(actor)):
        raise UserError("not_allowed", _("Only the case's team or a coordinator can do this."))
    if placement.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("Only the case's team or a coordinator can do this."))
    if ended_on < placement.starts_on:
        raise UserError("bad_dates", _("The stay cannot end before it started."), field="ended_on")
    with transaction.atomic():
        updated = Placement.objects.filter(pk=placement.pk, ended_on__isnull=True).update(ended_on=ended_on)
        if not updated:
            raise UserError("already_ended", _("This stay has already ended."))
        if not Placement.objects.filter(case=case, shelter_id=placement.shelter_id, ended_on__isnull=True).exists():
            # Nobody of the case stays there any more: the team no longer needs the key.
            for row in TeamMember.objects.filter(case=case).select_related("user"):
                withdraw_grants(actor=actor, member=row.user, case_id=case.pk, key_ids=[placement.shelter.key_id])
        if is_team_member(actor, case):
            add_event(
                case,
                keyring.secret_for(case.key),
                EventKind.PLACEMENT_ENDED,
                actor,
                {"pseudonym": placement.person.pseudonym},
            )
        touch(case)
        _audit(AuditEvent.PLACEMENT_ENDED, actor, placement.shelter)
    placement.ended_on = ended_on


def _share_shelter_key(actor: User, keyring: Keyring, shelter: Shelter, members: list[User]) -> int:
    shared = 0
    seen = set()
    for member in members:
        if member.pk in seen or not member.is_active or len(bytes(member.public_key)) != 32:
            continue
        seen.add(member.pk)
        if holds_key(member, shelter.key):
            continue
        do_grant_key(actor=actor, keyring=keyring, key=shelter.key, member=member)
        _audit(AuditEvent.SHELTER_KEYS_SHARED, actor, shelter)
        shared += 1
    return shared


def do_record_shelter_read(*, actor: User, shelter: Shelter, address: bool = False) -> None:
    with transaction.atomic():
        _audit(AuditEvent.SHELTER_ADDRESS_READ if address else AuditEvent.SHELTER_READ, actor, shelter)


def _audit(event: AuditEvent, actor: User, shelter: Shelter) -> None:
    record(event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="shelter", object_id=shelter.pk)
