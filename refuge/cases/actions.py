"""Every write to cases, people and compartments: one function, one transaction, its audit entry.

Key flow (docs/keys.md): accepting a request creates the case key, wrapped for the
chosen team and the recovery key, and gives the team the request key (so they can
talk with the requester) while the intake group lets go of it. Each compartment has
its own key, wrapped only for the members granted it. Taking a member off a team
deletes their wraps and rotates every key they held that the acting member can
open; the others stay marked `rotation_due` until a holder rotates them.
"""

from __future__ import annotations

import datetime
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.grants import queue_grant, withdraw_grants
from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.cases import compartments as schema
from refuge.cases.access import CASE_ROLES, holds_key, is_team_member
from refuge.cases.handover import hand_over_request, request_keys
from refuge.cases.models import (
    PRIORITY_DUE_DAYS,
    Case,
    CaseDocument,
    CaseEvent,
    CaseIndex,
    ClosingReason,
    Compartment,
    CompartmentKind,
    Currency,
    EventKind,
    Expense,
    ExpenseCategory,
    Note,
    Person,
    PersonRole,
    Priority,
    Stage,
    Task,
    TaskKind,
    TeamMember,
)
from refuge.cases.money import OUT_OF_RANGE, max_minor
from refuge.cases.pseudonyms import new_pseudonym
from refuge.cases.stages import can_move
from refuge.core.errors import UserError, too_long
from refuge.crypto import blind_index
from refuge.intake import actions as intake_actions
from refuge.intake.access import can_read_requests
from refuge.intake.actions import INDEXED_FIELDS, MAX_MESSAGE_CHARS
from refuge.intake.merge import check_not_merged
from refuge.intake.models import HelpRequest, RequesterStatus
from refuge.intake.queries import merged_requests, read_answers
from refuge.intake.uploads import CleanUpload
from refuge.keyring import actions as key_actions
from refuge.keyring.files import encrypt_file_into
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import GrantReason, HolderKind, Key, KeyWrap, Purpose
from refuge.keyring.records import do_ensure_blind_index_key, encrypt_column, server_secret_for
from refuge.relocation.models import Pathway

MAX_CASE_NOTE_CHARS = 20_000
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 50_000
MAX_TEAM = 30
MAX_PEOPLE_PER_CASE = 30
MAX_AMOUNT = 10_000_000
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

CONFLICT = _(
    "Someone else changed this case while you were editing it. Your changes were not saved: "
    "the page now shows the current version. Make your change again if it is still needed."
)


def today() -> datetime.date:
    return timezone.localdate()


# --- opening a case ------------------------------------------------------------------------


def do_accept_request(
    *,
    actor: User,
    keyring: Keyring,
    request: HelpRequest,
    team: Sequence[User],
    priority: str,
    lead: User | None = None,
) -> Case:
    """Open a case from a request: its content moves in, the chosen team holds the keys.

    `lead` leads the case and must be on the team; without one, the first member of `team` does.
    """
    if not can_read_requests(actor) or request.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("You cannot accept requests."))
    priority = _priority(priority)
    members = _team_of(actor, team)
    if lead is not None and all(member.pk != lead.pk for member in members):
        raise UserError("lead_not_on_team", _("The lead must be on the team: tick them in the team too."), field="lead")
    lead_id = members[0].pk if lead is None else lead.pk
    request_secret = keyring.secret_for(request.key)
    answers = read_answers(request, request_secret)
    with transaction.atomic():
        locked = HelpRequest.objects.select_for_update().select_related("key").get(pk=request.pk)
        if locked.status == RequesterStatus.ACCEPTED or Case.objects.filter(request=locked).exists():
            raise UserError("already_accepted", _("This request has already been accepted."))
        check_not_merged(locked)
        key, secret = key_actions.do_create_key(
            actor=actor, organisation=actor.organisation, purpose=Purpose.RECORD, label="case", members=members
        )
        now = today()
        case = Case(
            organisation=actor.organisation,
            reference=_new_reference(),
            key=key,
            request=locked,
            priority=priority,
            stage=Stage.ACCEPTED,
            opened_on=now,
            due_on=now + datetime.timedelta(days=PRIORITY_DUE_DAYS[Priority(priority)]),
            stage_changed_on=now,
            last_activity_on=now,
        )
        encrypt_column(case, "summary", json.dumps(answers, ensure_ascii=False), secret, key)
        case.save(force_insert=True)
        TeamMember.objects.bulk_create(
            TeamMember(case=case, user=member, lead=member.pk == lead_id, added_on=now) for member in members
        )
        person = _new_person(case, secret, PersonRole.REQUESTER, {})
        identity = {
            name: answers[source]
            for name, source in (
                ("legal_name", "name"),
                ("phone", "phone"),
                ("internal_passport_number", "document_number"),
            )
            if isinstance(answers.get(source), str) and answers[source].strip()
        }
        if identity:
            _create_compartment(actor, person, CompartmentKind.IDENTITY, identity, members, secret)
        # The identity compartment just written indexed the same name, phone and document
        # number the request was indexed by: search finds the person as intake did.
        # The team talks with the requester from now on; intake lets go of the request, and of
        # the requests merged into it, which come into the case with it (refuge/cases/handover.py).
        for handed in [locked, *merged_requests(locked)]:
            hand_over_request(actor=actor, keyring=keyring, request=handed, members=members)
        add_event(case, secret, EventKind.OPENED, actor, {"request": locked.reference})
        _audit(AuditEvent.CASE_OPENED, actor, "case", case.pk)
    request.status = RequesterStatus.ACCEPTED
    return case


def _team_of(actor: User, team: Sequence[User]) -> list[User]:
    seen: dict[Any, User] = {}
    for member in team:
        seen.setdefault(member.pk, member)
    members = list(seen.values())
    if not members:
        raise UserError("team_empty", _("Choose at least one member for the team."), field="team")
    if len(members) > MAX_TEAM:
        raise UserError("team_too_big", _("A team has at most %(limit)s members.") % {"limit": MAX_TEAM}, field="team")
    for member in members:
        _check_team_candidate(actor, member)
    return members


def _check_team_candidate(actor: User, member: User) -> None:
    if member.organisation_id != actor.organisation_id or not member.is_active or member.role not in CASE_ROLES:
        raise UserError("not_a_team_member", _("This person cannot be on a case team."), field="team")


def _new_reference() -> str:
    # 30 bits, like request references; uniqueness is enforced by the database.
    return "C-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def _priority(priority: str) -> str:
    if priority not in Priority.values:
        raise UserError("bad_priority", _("Choose a priority."), field="priority")
    return priority


# --- the team ----------------------------------------------------------------------------------


def do_add_team_member(*, actor: User, keyring: Keyring, case: Case, member: User, lead: bool = False) -> None:
    """Share a case with a member: the case key (and the request's) wrapped for them."""
    _check_on_team(actor, case)
    _check_team_candidate(actor, member)
    with transaction.atomic():
        locked = _lock_case(case)
        if TeamMember.objects.filter(case=locked, user=member).exists():
            raise UserError("already_on_team", _("This member is already on the team."), field="member")
        if TeamMember.objects.filter(case=locked).count() >= MAX_TEAM:
            raise UserError("team_too_big", _("A team has at most %(limit)s members.") % {"limit": MAX_TEAM})
        secret = keyring.secret_for(locked.key)
        key_actions.do_grant_key(actor=actor, keyring=keyring, key=locked.key, member=member)
        for request_key in request_keys(locked):
            key_actions.do_grant_key(actor=actor, keyring=keyring, key=request_key, member=member)
        if lead:
            TeamMember.objects.filter(case=locked).update(lead=False)
        TeamMember.objects.create(case=locked, user=member, lead=lead, added_on=today())
        _shelter_keys_for(actor, keyring, locked, member)
        touch(locked)
        add_event(locked, secret, EventKind.TEAM_ADDED, actor, {"member": member.username})
        _audit(AuditEvent.TEAM_MEMBER_ADDED, actor, "case", locked.pk)


def _shelter_keys_for(actor: User, keyring: Keyring, case: Case, member: User) -> None:
    """A new team member needs the key of every shelter where someone of the case stays."""
    stays = case.placements.filter(ended_on__isnull=True).select_related("shelter__key")
    for stay in stays:
        key = stay.shelter.key
        if holds_key(actor, key):
            # The actor holds it and names the new holder: their act is the approval.
            key_actions.do_grant_key(actor=actor, keyring=keyring, key=key, member=member)
        else:
            # Owed until a holder of the shelter key approves it (refuge/accounts/grants.py).
            queue_grant(key=key, member=member, reason=GrantReason.PLACEMENT, requested_by=actor, case_id=case.pk)


def do_set_lead(*, actor: User, keyring: Keyring, case: Case, member: User) -> None:
    """Make a member of the team the case's lead (who owns the tasks made for the case)."""
    _check_on_team(actor, case)
    with transaction.atomic():
        locked = _lock_case(case)
        row = TeamMember.objects.filter(case=locked, user=member).first()
        if row is None:
            raise UserError("not_on_team", _("This member is not on the team."), field="member")
        if row.lead:
            return
        secret = keyring.secret_for(locked.key)
        TeamMember.objects.filter(case=locked, lead=True).update(lead=False)
        TeamMember.objects.filter(pk=row.pk).update(lead=True)
        touch(locked)
        add_event(locked, secret, EventKind.LEAD_CHANGED, actor, {"member": member.username})
        _audit(AuditEvent.TEAM_LEAD_CHANGED, actor, "case", locked.pk)


@dataclass
class Removal:
    rotated: list[Key] = field(default_factory=list)
    # Keys the actor could not open (compartments they were not granted): still
    # marked rotation_due; a holder rotates them from the case page.
    pending: list[Key] = field(default_factory=list)


def do_remove_team_member(*, actor: User, keyring: Keyring, case: Case, member: User) -> Removal:
    """Take a member off a team: delete their wraps and rotate what they could read."""
    _check_on_team(actor, case)
    removal = Removal()
    with transaction.atomic():
        locked = _lock_case(case)
        row = TeamMember.objects.filter(case=locked, user=member).first()
        if row is None:
            raise UserError("not_on_team", _("This member is not on the team."), field="member")
        if TeamMember.objects.filter(case=locked).count() <= 1:
            raise UserError("last_member", _("A case needs at least one member on its team. Add someone else first."))
        row.delete()
        withdraw_grants(actor=actor, member=member, case_id=locked.pk)
        # Opened before any wrap goes: a member leaving on their own still needs it for the timeline.
        secret, opened_version = keyring.secret_for(locked.key), locked.key.version
        leaving = member.pk == actor.pk
        keys = [locked.key, *request_keys(locked)]
        keys += [c.key for c in Compartment.objects.filter(person__case=locked).select_related("key")]
        for key in keys:
            if not KeyWrap.objects.filter(key=key, holder_kind=HolderKind.USER, holder=member).exists():
                continue
            key_actions.do_revoke_key(actor=actor, key=key, member=member)
            # A member leaving never makes the new keys (they would know them): the
            # keys stay rotation_due for the rest of the team to rotate.
            if not leaving and holds_key(actor, key):
                key_actions.do_rotate_key(actor=actor, keyring=keyring, key=key)
                removal.rotated.append(key)
            else:
                removal.pending.append(key)
        if row.lead and not TeamMember.objects.filter(case=locked, lead=True).exists():
            # Whoever removed the lead leads now; a lead who left hands over to the longest on the team.
            heirs = TeamMember.objects.filter(case=locked)
            heir = heirs.order_by("added_on", "pk").first() if leaving else heirs.filter(user=actor).first()
            if heir is not None:
                TeamMember.objects.filter(pk=heir.pk).update(lead=True)
        fresh = Case.objects.select_related("key").get(pk=locked.pk)
        if fresh.key.version != opened_version:
            secret = keyring.secret_for(fresh.key)
        touch(fresh)
        add_event(fresh, secret, EventKind.TEAM_REMOVED, actor, {"member": member.username})
        if removal.rotated:
            add_event(fresh, secret, EventKind.KEYS_ROTATED, actor, {"keys": len(removal.rotated)})
        _audit(AuditEvent.TEAM_MEMBER_REMOVED, actor, "case", locked.pk)
    case.key = fresh.key
    return removal


def do_rotate_pending_keys(*, actor: User, keyring: Keyring, case: Case) -> int:
    """Rotate every key of the case marked rotation_due that the actor holds."""
    _check_on_team(actor, case)
    rotated = 0
    with transaction.atomic():
        locked = _lock_case(case)
        keys = [locked.key, *request_keys(locked)]
        keys += [c.key for c in Compartment.objects.filter(person__case=locked).select_related("key")]
        for key in keys:
            if key.rotation_due and holds_key(actor, key):
                key_actions.do_rotate_key(actor=actor, keyring=keyring, key=key)
                rotated += 1
        if rotated:
            fresh = Case.objects.select_related("key").get(pk=locked.pk)
            add_event(fresh, keyring.secret_for(fresh.key), EventKind.KEYS_ROTATED, actor, {"keys": rotated})
    return rotated


# --- the case's own fields --------------------------------------------------------------------


def do_change_stage(
    *, actor: User, keyring: Keyring, case: Case, stage: str, version: int, closing_reason: str = ""
) -> None:
    """Move a case along the stage table; closing needs a reason."""
    _check_on_team(actor, case)
    with transaction.atomic():
        locked = _lock_case(case)
        _check_version(locked, version)
        if stage not in Stage.values or not can_move(locked.stage, stage):
            raise UserError("bad_stage", _("A case cannot move from this stage to that one."), field="stage")
        if stage == Stage.CLOSED and closing_reason not in ClosingReason.values:
            raise UserError("closing_reason", _("Choose why the case is closed."), field="closing_reason")
        secret = keyring.secret_for(locked.key)
        before = locked.stage
        locked.stage = stage
        locked.stage_changed_on = today()
        locked.closing_reason = closing_reason if stage == Stage.CLOSED else ""
        locked.closed_on = today() if stage == Stage.CLOSED else None
        _save_versioned(locked, ["stage", "stage_changed_on", "closing_reason", "closed_on"])
        add_event(locked, secret, EventKind.STAGE, actor, {"from": before, "to": stage, "reason": closing_reason})
        _audit(AuditEvent.CASE_STAGE_CHANGED, actor, "case", locked.pk)
    _refresh(case, locked)


def do_edit_case(
    *,
    actor: User,
    keyring: Keyring,
    case: Case,
    version: int,
    priority: str,
    pathway: Pathway | None,
    budget: int | None,
    currency: str,
    summary: str | None,
) -> None:
    """Change a case's priority (and so its due date), pathway, budget and summary (None: keep it)."""
    _check_on_team(actor, case)
    priority = _priority(priority)
    if budget is not None and not 0 <= budget <= MAX_AMOUNT:
        raise UserError("bad_amount", _("Enter an amount between 0 and 10,000,000."), field="budget")
    if currency not in Currency.values:
        raise UserError("bad_currency", _("Choose a currency."), field="currency")
    if summary is not None and len(summary) > MAX_SUMMARY_CHARS:
        raise UserError("too_long", _("The summary is too long: at most 50,000 characters."), field="summary")
    with transaction.atomic():
        locked = _lock_case(case)
        _check_version(locked, version)
        secret = keyring.secret_for(locked.key)
        changes: dict[str, Any] = {}
        if priority != locked.priority:
            changes["priority"] = [locked.priority, priority]
            locked.priority = priority
            locked.due_on = today() + datetime.timedelta(days=PRIORITY_DUE_DAYS[Priority(priority)])
        if (pathway.pk if pathway else None) != locked.pathway_id:
            changes["pathway"] = pathway.code if pathway else ""
            locked.pathway = pathway
        if budget != locked.budget or currency != locked.currency:
            changes["budget"] = [budget, currency]
            locked.budget, locked.currency = budget, currency
        if summary is not None:
            # Stored as {"text": …}: JSON like the answers a case starts with, so a summary
            # that happens to look like JSON is never mistaken for them.
            text = json.dumps({"text": summary}, ensure_ascii=False)
            encrypt_column(locked, "summary", text, secret, locked.key)
        _save_versioned(locked, ["priority", "due_on", "pathway", "budget", "currency", "summary"])
        kind = EventKind.PRIORITY if set(changes) == {"priority"} else EventKind.EDITED
        add_event(locked, secret, kind, actor, changes)
        _audit(AuditEvent.CASE_EDITED, actor, "case", locked.pk)
    _refresh(case, locked)


def do_set_lost_contact(*, actor: User, keyring: Keyring, case: Case, lost: bool) -> None:
    """Raise or clear the lost-contact alarm (never a closing: DOMAIN.md)."""
    _check_on_team(actor, case)
    with transaction.atomic():
        locked = _lock_case(case)
        if bool(locked.lost_contact_since) == lost:
            return
        secret = keyring.secret_for(locked.key)
        locked.lost_contact_since = today() if lost else None
        locked.save(update_fields=["lost_contact_since"])
        touch(locked)
        add_event(locked, secret, EventKind.LOST_CONTACT if lost else EventKind.CONTACT_BACK, actor, {})
        _audit(AuditEvent.LOST_CONTACT_RAISED if lost else AuditEvent.LOST_CONTACT_CLEARED, actor, "case", locked.pk)
    case.lost_contact_since = locked.lost_contact_since


# --- people and compartments -------------------------------------------------------------------


def do_add_person(*, actor: User, keyring: Keyring, case: Case, role: str, details: str = "") -> Person:
    """Add someone to a case under a new pseudonym."""
    _check_on_team(actor, case)
    if role not in PersonRole.values:
        raise UserError("bad_role", _("Choose who this person is."), field="role")
    details = _text(details, MAX_CASE_NOTE_CHARS, "details")
    with transaction.atomic():
        locked = _lock_case(case)
        if Person.objects.filter(case=locked).count() >= MAX_PEOPLE_PER_CASE:
            raise UserError("too_many_people", _("A case has at most 30 people."))
        secret = keyring.secret_for(locked.key)
        person = _new_person(locked, secret, role, {"details": details})
        touch(locked)
        add_event(locked, secret, EventKind.PERSON_ADDED, actor, {"pseudonym": person.pseudonym, "role": role})
        _audit(AuditEvent.PERSON_ADDED, actor, "person", person.pk)
    return person


def do_edit_person(*, actor: User, keyring: Keyring, person: Person, role: str, details: str, version: int) -> None:
    """Change a person's role and working notes."""
    case = person.case
    _check_on_team(actor, case)
    if role not in PersonRole.values:
        raise UserError("bad_role", _("Choose who this person is."), field="role")
    details = _text(details, MAX_CASE_NOTE_CHARS, "details")
    with transaction.atomic():
        locked = Person.objects.select_for_update().select_related("key").get(pk=person.pk)
        if locked.version != version:
            raise UserError("conflict", CONFLICT)
        secret = keyring.secret_for(locked.key)
        locked.role = role
        encrypt_column(locked, "details", json.dumps({"details": details}, ensure_ascii=False), secret, locked.key)
        locked.version += 1
        locked.save(update_fields=["role", "details", "version"])
        _audit(AuditEvent.PERSON_EDITED, actor, "person", locked.pk)
    person.role, person.details, person.version = locked.role, locked.details, locked.version


def _new_person(case: Case, secret: bytes, role: str, details: dict[str, Any]) -> Person:
    for _attempt in range(20):
        person = Person(
            organisation_id=case.organisation_id,
            case=case,
            pseudonym=new_pseudonym(),
            role=role,
            key=case.key,
            added_on=today(),
        )
        encrypt_column(person, "details", json.dumps(details, ensure_ascii=False), secret, case.key)
        try:
            with transaction.atomic():
                person.save(force_insert=True)
        except IntegrityError:
            continue  # the pseudonym is taken in this organisation: draw another
        return person
    raise RuntimeError("no free pseudonym after 20 draws")


def do_save_compartment(
    *,
    actor: User,
    keyring: Keyring,
    person: Person,
    kind: str,
    data: dict[str, Any],
    version: int | None,
) -> Compartment:
    """Create or change a compartment; only members granted it can change it."""
    case = person.case
    _check_on_team(actor, case)
    content = schema.clean_content(kind, data)
    with transaction.atomic():
        case_secret = keyring.secret_for(case.key)
        existing = (
            Compartment.objects.select_for_update().select_related("key").filter(person=person, kind=kind).first()
        )
        if existing is None:
            if version not in (None, 0):
                raise UserError("conflict", CONFLICT)
            compartment = _create_compartment(actor, person, kind, content, [actor], case_secret)
        else:
            if version != existing.version:
                raise UserError("conflict", CONFLICT)
            if not holds_key(actor, existing.key):
                raise UserError("not_granted", _("You have not been given this compartment."))
            secret = keyring.secret_for(existing.key)
            encrypt_column(existing, "content", json.dumps(content, ensure_ascii=False), secret, existing.key)
            existing.updated_on = today()
            existing.version += 1
            existing.save(update_fields=["content", "updated_on", "version"])
            compartment = existing
            _derive_from_compartment(actor, compartment, content, case_secret)
        touch(case)
        add_event(case, case_secret, EventKind.COMPARTMENT, actor, {"pseudonym": person.pseudonym, "kind": kind})
        _audit(AuditEvent.COMPARTMENT_WRITTEN, actor, "compartment", compartment.pk)
    return compartment


def _create_compartment(
    actor: User, person: Person, kind: str, content: dict[str, Any], holders: Sequence[User], case_secret: bytes
) -> Compartment:
    key, secret = key_actions.do_create_key(
        actor=actor,
        organisation=actor.organisation,
        purpose=Purpose.RECORD,
        label=f"compartment:{kind}",
        members=holders,
    )
    compartment = Compartment(person=person, kind=kind, key=key, updated_on=today())
    encrypt_column(compartment, "content", json.dumps(content, ensure_ascii=False), secret, key)
    compartment.save(force_insert=True)
    _derive_from_compartment(actor, compartment, content, case_secret)
    return compartment


def _derive_from_compartment(
    actor: User, compartment: Compartment, content: dict[str, Any], case_secret: bytes
) -> None:
    """Blind indexes and expiry tasks follow what the compartment now says."""
    person = compartment.person
    case = person.case
    fields = {f.index for f in schema.FIELDS.get(compartment.kind, ()) if f.index}
    if fields:
        CaseIndex.objects.filter(person=person, field__in=fields).delete()
        rows = []
        for index_field, value in schema.index_values(compartment.kind, content):
            normalised = INDEXED_FIELDS[index_field](value)
            if not normalised:
                continue
            key = do_ensure_blind_index_key(actor=None, organisation=case.organisation, field=index_field)
            digest = blind_index(server_secret_for(key), index_field, normalised)
            rows.append(
                CaseIndex(organisation=case.organisation, case=case, person=person, field=index_field, digest=digest)
            )
        CaseIndex.objects.bulk_create(rows)
    _expiry_tasks(actor, compartment, content, case_secret)


def _expiry_tasks(actor: User, compartment: Compartment, content: dict[str, Any], case_secret: bytes) -> None:
    """One open task per expiring document, due in time to act; kept in step with the compartment."""
    case = compartment.person.case
    prefix = f"{compartment.pk}:"
    wanted = {f"{prefix}{expiry.field}": expiry for expiry in schema.expiries(compartment.kind, content)}
    # A date removed from the compartment takes its open task with it.
    Task.objects.filter(case=case, source__startswith=prefix, done_on__isnull=True).exclude(source__in=wanted).delete()
    lead = TeamMember.objects.filter(case=case, lead=True).select_related("user").first()
    for source, expiry in wanted.items():
        task = Task.objects.filter(case=case, source=source, done_on__isnull=True).first()
        if task is not None and task.due_on == expiry.due_on:
            continue
        if task is None:
            task = Task(
                case=case,
                organisation_id=case.organisation_id,
                key=case.key,
                created_on=today(),
                source=source,
                owner=lead.user if lead else None,
            )
        task.due_on = expiry.due_on
        encrypt_column(task, "title", expiry.title, case_secret, case.key)
        task.save()
        _audit(AuditEvent.TASK_ADDED, actor, "case", case.pk)


def do_grant_compartment(*, actor: User, keyring: Keyring, compartment: Compartment, member: User) -> None:
    """Wrap a compartment's key for another member of the case's team."""
    case = compartment.person.case
    _check_on_team(actor, case)
    if not is_team_member(member, case):
        raise UserError("not_on_team", _("Share the case with this member first."), field="member")
    if not holds_key(actor, compartment.key):
        raise UserError("not_granted", _("You have not been given this compartment."))
    with transaction.atomic():
        key_actions.do_grant_key(actor=actor, keyring=keyring, key=compartment.key, member=member)
        add_event(
            case,
            keyring.secret_for(case.key),
            EventKind.COMPARTMENT_SHARED,
            actor,
            {"pseudonym": compartment.person.pseudonym, "kind": compartment.kind, "member": member.username},
        )
        _audit(AuditEvent.COMPARTMENT_SHARED, actor, "compartment", compartment.pk)


def do_revoke_compartment(*, actor: User, keyring: Keyring, compartment: Compartment, member: User) -> None:
    """Take a member's access to a compartment away and rotate its key."""
    case = compartment.person.case
    _check_on_team(actor, case)
    if not holds_key(actor, compartment.key):
        raise UserError("not_granted", _("You have not been given this compartment."))
    if member.pk == actor.pk:
        raise UserError("self", _("You cannot take your own access away here."), field="member")
    with transaction.atomic():
        key_actions.do_revoke_key(actor=actor, key=compartment.key, member=member)
        key_actions.do_rotate_key(actor=actor, keyring=keyring, key=compartment.key)
        add_event(
            case,
            keyring.secret_for(case.key),
            EventKind.COMPARTMENT_UNSHARED,
            actor,
            {"pseudonym": compartment.person.pseudonym, "kind": compartment.kind, "member": member.username},
        )
        _audit(AuditEvent.COMPARTMENT_UNSHARED, actor, "compartment", compartment.pk)


def do_record_compartment_read(*, actor: User, compartment: Compartment) -> None:
    with transaction.atomic():
        _audit(AuditEvent.COMPARTMENT_READ, actor, "compartment", compartment.pk)


# --- notes, tasks, expenses, documents, messages -------------------------------------------------


def do_add_note(*, actor: User, keyring: Keyring, case: Case, body: str) -> Note:
    _check_on_team(actor, case)
    body = _text(body, MAX_CASE_NOTE_CHARS, "body", required=_("Write the note first."))
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        note = Note(case=case, key=case.key, author=actor, created_at=timezone.now())
        encrypt_column(note, "body", body, secret, case.key)
        note.save(force_insert=True)
        touch(case)
        add_event(case, secret, EventKind.NOTE, actor, {})
        _audit(AuditEvent.NOTE_ADDED, actor, "case", case.pk)
    return note


def do_add_task(
    *,
    actor: User,
    keyring: Keyring,
    case: Case,
    title: str,
    due_on: datetime.date | None,
    owner: User | None,
    kind: str = TaskKind.TASK,
) -> Task:
    _check_on_team(actor, case)
    title = _text(title, MAX_TITLE_CHARS, "title", required=_("Say what needs doing."))
    if kind not in TaskKind.values:
        raise UserError("bad_kind", _("Choose a task or an appointment."), field="kind")
    if owner is not None and not TeamMember.objects.filter(case=case, user=owner).exists():
        raise UserError("owner_not_on_team", _("Tasks go to members of the case's team."), field="owner")
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        task = Task(
            case=case,
            organisation_id=case.organisation_id,
            key=case.key,
            kind=kind,
            due_on=due_on,
            owner=owner,
            created_on=today(),
        )
        encrypt_column(task, "title", title, secret, case.key)
        task.save(force_insert=True)
        touch(case)
        add_event(case, secret, EventKind.TASK, actor, {"title": title, "due_on": due_on.isoformat() if due_on else ""})
        _audit(AuditEvent.TASK_ADDED, actor, "case", case.pk)
    return task


def do_complete_task(*, actor: User, keyring: Keyring, task: Task) -> None:
    case = task.case
    _check_on_team(actor, case)
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, done_on__isnull=True).update(done_on=today())
        if not updated:
            raise UserError("task_done", _("This task is already done."))
        touch(case)
        add_event(case, keyring.secret_for(case.key), EventKind.TASK_DONE, actor, {})
        _audit(AuditEvent.TASK_DONE, actor, "case", case.pk)
    task.done_on = today()


def do_add_expense(
    *,
    actor: User,
    keyring: Keyring,
    case: Case,
    category: str,
    amount_minor: int,
    currency: str,
    spent_on: datetime.date,
    note: str = "",
) -> Expense:
    """Record money spent: an amount in minor units of its own currency (refuge.cases.money)."""
    _check_on_team(actor, case)
    if category not in ExpenseCategory.values:
        raise UserError("bad_category", _("Choose a category."), field="category")
    if currency not in Currency.values:
        raise UserError("bad_currency", _("Choose a currency."), field="currency")
    if type(amount_minor) is not int or not 0 < amount_minor <= max_minor(currency):
        raise UserError("bad_amount", OUT_OF_RANGE, field="amount")
    if spent_on > today():
        raise UserError("future_date", _("The date cannot be in the future."), field="spent_on")
    note = _text(note, MAX_TITLE_CHARS, "note")
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        expense = Expense(
            case=case,
            key=case.key,
            category=category,
            amount_minor=amount_minor,
            currency=currency,
            spent_on=spent_on,
            recorded_by=actor,
        )
        encrypt_column(expense, "note", note, secret, case.key)
        expense.save(force_insert=True)
        touch(case)
        detail = {"category": category, "amount_minor": amount_minor, "currency": currency}
        add_event(case, secret, EventKind.EXPENSE, actor, detail)
        _audit(AuditEvent.EXPENSE_RECORDED, actor, "case", case.pk)
    return expense


def do_add_document(*, actor: User, keyring: Keyring, case: Case, upload: CleanUpload) -> CaseDocument:
    """Attach a sanitised file (refuge.intake.uploads) encrypted in chunks under its own key."""
    _check_on_team(actor, case)
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        document = CaseDocument(
            case=case,
            key=case.key,
            kind=upload.kind,
            size=len(upload.data),
            uploaded_by=actor,
            created_at=timezone.now(),
        )
        encrypt_file_into(document, upload.data, upload.name, upload.removed, secret, case.key)
        document.save(force_insert=True)
        touch(case)
        add_event(case, secret, EventKind.DOCUMENT, actor, {})
        _audit(AuditEvent.DOCUMENT_ADDED, actor, "case", case.pk)
    return document


def do_record_document_read(*, actor: User, document: CaseDocument) -> None:
    with transaction.atomic():
        _audit(AuditEvent.DOCUMENT_READ, actor, "case", document.case_id)


def do_message_requester(*, actor: User, keyring: Keyring, case: Case, body: str) -> None:
    """Write to the requester from the case: readable by them and the team only."""
    _check_on_team(actor, case)
    if case.request is None:
        raise UserError("no_requester", _("This case was not opened from a request: there is nobody to write to."))
    if len(body or "") > MAX_MESSAGE_CHARS:
        raise UserError("message_too_long", _("The message is too long: at most 10,000 characters."), field="body")
    with transaction.atomic():
        intake_actions.do_reply(actor=actor, keyring=keyring, request=case.request, body=body)
        touch(case)
        add_event(case, keyring.secret_for(case.key), EventKind.MESSAGE, actor, {})
        _audit(AuditEvent.CASE_MESSAGE_SENT, actor, "case", case.pk)


def do_record_case_read(*, actor: User, case: Case) -> None:
    """Audit that a member decrypted a case (who read what, never what it said)."""
    with transaction.atomic():
        _audit(AuditEvent.CASE_READ, actor, "case", case.pk)


# --- helpers ------------------------------------------------------------------------------------


def _check_on_team(actor: User, case: Case) -> None:
    # Views reach cases through access_case; this is the second lock on the door.
    if case.organisation_id != actor.organisation_id or not is_team_member(actor, case):
        raise UserError("not_on_team", _("Only members of the case's team can do this."))


def _lock_case(case: Case) -> Case:
    return Case.objects.select_for_update(of=("self",)).select_related("key", "request__key").get(pk=case.pk)


def _check_version(locked: Case, version: int) -> None:
    if locked.version != version:
        raise UserError("conflict", CONFLICT)


def _save_versioned(locked: Case, fields: list[str]) -> None:
    locked.version += 1
    locked.last_activity_on = today()
    locked.save(update_fields=[*fields, "version", "last_activity_on"])


def _refresh(case: Case, locked: Case) -> None:
    """Copy the saved state onto the caller's instance."""
    for name in (
        "stage",
        "stage_changed_on",
        "closing_reason",
        "closed_on",
        "priority",
        "due_on",
        "pathway_id",
        "budget",
        "currency",
        "summary",
        "version",
        "last_activity_on",
    ):
        setattr(case, name, getattr(locked, name))


def touch(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(last_activity_on=today())


def _text(value: str, limit: int, field_name: str, required: Any = None) -> str:
    text = (value or "").strip()
    if required is not None and not text:
        raise UserError("required", required, field=field_name)
    if len(text) > limit:
        raise UserError("too_long", too_long(limit), field=field_name)
    return text


def add_event(case: Case, secret: bytes, kind: str, actor: User | None, detail: dict[str, Any]) -> CaseEvent:
    event = CaseEvent(case=case, key_id=case.key_id, kind=kind, actor=actor, at=timezone.now())
    encrypt_column(event, "detail", json.dumps(detail, ensure_ascii=False), secret, case.key)
    event.save(force_insert=True)
    return event


def _audit(event: AuditEvent, actor: User, object_type: str, object_id: Any) -> None:
    record(
        event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type=object_type, object_id=object_id
    )
