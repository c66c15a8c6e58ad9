"""The people of a case."""

from __future__ import annotations

import json
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import (
    CONFLICT,
    add_event,
    audit_act,
    bounded_text,
    check_on_team,
    lock_case,
    today,
    touch,
)
from refuge.cases.actions.notes import MAX_CASE_NOTE_CHARS
from refuge.cases.models import Case, EventKind, Person, PersonRole
from refuge.cases.pseudonyms import new_pseudonym
from refuge.core.errors import UserError
from refuge.keyring.keyring import Keyring
from refuge.keyring.records import encrypt_column

MAX_PEOPLE_PER_CASE = 30


def do_add_person(*, actor: User, keyring: Keyring, case: Case, role: str, details: str = "") -> Person:
    """Add someone to a case under a new pseudonym."""
    check_on_team(actor, case)
    if role not in PersonRole.values:
        raise UserError("bad_role", _("Choose who this person is."), field="role")
    details = bounded_text(details, MAX_CASE_NOTE_CHARS, "details")
    with transaction.atomic():
        locked = lock_case(case)
        if Person.objects.filter(case=locked).count() >= MAX_PEOPLE_PER_CASE:
            raise UserError("too_many_people", _("A case has at most 30 people."))
        secret = keyring.secret_for(locked.key)
        person = new_person(locked, secret, role, {"details": details})
        touch(locked)
        add_event(locked, secret, EventKind.PERSON_ADDED, actor, {"pseudonym": person.pseudonym, "role": role})
        audit_act(AuditEvent.PERSON_ADDED, actor, "person", person.pk)
    return person


def do_edit_person(*, actor: User, keyring: Keyring, person: Person, role: str, details: str, version: int) -> None:
    """Change a person's role and working notes."""
    case = person.case
    check_on_team(actor, case)
    if role not in PersonRole.values:
        raise UserError("bad_role", _("Choose who this person is."), field="role")
    details = bounded_text(details, MAX_CASE_NOTE_CHARS, "details")
    with transaction.atomic():
        locked = Person.objects.select_for_update().select_related("key").get(pk=person.pk)
        if locked.version != version:
            raise UserError("conflict", CONFLICT)
        secret = keyring.secret_for(locked.key)
        locked.role = role
        encrypt_column(locked, "details", json.dumps({"details": details}, ensure_ascii=False), secret, locked.key)
        locked.version += 1
        locked.save(update_fields=["role", "details", "version"])
        audit_act(AuditEvent.PERSON_EDITED, actor, "person", locked.pk)
    person.role, person.details, person.version = locked.role, locked.details, locked.version


def new_person(case: Case, secret: bytes, role: str, details: dict[str, Any]) -> Person:
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
