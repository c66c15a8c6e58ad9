"""Compartments: need-to-know records of a person under their own key, granted and revoked member by member."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases import compartments as schema
from refuge.cases.access import holds_key, is_team_member
from refuge.cases.actions.base import CONFLICT, add_event, audit_act, check_on_team, today, touch
from refuge.cases.models import CaseIndex, Compartment, EventKind, Person, Task, TeamMember
from refuge.core.errors import UserError
from refuge.crypto import blind_index
from refuge.intake.actions.submissions import INDEXED_FIELDS
from refuge.keyring.actions.keys import do_create_key
from refuge.keyring.actions.rotation import do_rotate_key
from refuge.keyring.actions.wraps import do_grant_key, do_revoke_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Purpose
from refuge.keyring.records import do_ensure_blind_index_key, encrypt_column, server_secret_for


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
    check_on_team(actor, case)
    content = schema.clean_content(kind, data)
    with transaction.atomic():
        case_secret = keyring.secret_for(case.key)
        existing = (
            Compartment.objects.select_for_update().select_related("key").filter(person=person, kind=kind).first()
        )
        if existing is None:
            if version not in (None, 0):
                raise UserError("conflict", CONFLICT)
            compartment = create_compartment(actor, person, kind, content, [actor], case_secret)
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
        audit_act(AuditEvent.COMPARTMENT_WRITTEN, actor, "compartment", compartment.pk)
    return compartment


def create_compartment(
    actor: User, person: Person, kind: str, content: dict[str, Any], holders: Sequence[User], case_secret: bytes
) -> Compartment:
    key, secret = do_create_key(
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
        audit_act(AuditEvent.TASK_ADDED, actor, "case", case.pk)


def do_grant_compartment(*, actor: User, keyring: Keyring, compartment: Compartment, member: User) -> None:
    """Wrap a compartment's key for another member of the case's team."""
    case = compartment.person.case
    check_on_team(actor, case)
    if not is_team_member(member, case):
        raise UserError("not_on_team", _("Share the case with this member first."), field="member")
    if not holds_key(actor, compartment.key):
        raise UserError("not_granted", _("You have not been given this compartment."))
    with transaction.atomic():
        do_grant_key(actor=actor, keyring=keyring, key=compartment.key, member=member)
        add_event(
            case,
            keyring.secret_for(case.key),
            EventKind.COMPARTMENT_SHARED,
            actor,
            {"pseudonym": compartment.person.pseudonym, "kind": compartment.kind, "member": member.username},
        )
        audit_act(AuditEvent.COMPARTMENT_SHARED, actor, "compartment", compartment.pk)


def do_revoke_compartment(*, actor: User, keyring: Keyring, compartment: Compartment, member: User) -> None:
    """Take a member's access to a compartment away and rotate its key."""
    case = compartment.person.case
    check_on_team(actor, case)
    if not holds_key(actor, compartment.key):
        raise UserError("not_granted", _("You have not been given this compartment."))
    if member.pk == actor.pk:
        raise UserError("self", _("You cannot take your own access away here."), field="member")
    with transaction.atomic():
        do_revoke_key(actor=actor, key=compartment.key, member=member)
        do_rotate_key(actor=actor, keyring=keyring, key=compartment.key)
        add_event(
            case,
            keyring.secret_for(case.key),
            EventKind.COMPARTMENT_UNSHARED,
            actor,
            {"pseudonym": compartment.person.pseudonym, "kind": compartment.kind, "member": member.username},
        )
        audit_act(AuditEvent.COMPARTMENT_UNSHARED, actor, "compartment", compartment.pk)


def do_record_compartment_read(*, actor: User, compartment: Compartment) -> None:
    with transaction.atomic():
        audit_act(AuditEvent.COMPARTMENT_READ, actor, "compartment", compartment.pk)
