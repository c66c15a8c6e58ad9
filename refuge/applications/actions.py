"""Every write to applications: one function each, one transaction, audited (codes 11xx).

Each act re-checks that the actor is on the case's team (views reach the case through
`access_case`; this is the second lock). Exact dates, places and references go into the
encrypted details; the row keeps in clear only what docs/threat-model.md lists.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.applications.details import Appointment, ChecklistItem, Decision, Details, allowed_next
from refuge.applications.models import DECIDED, Application, Status, StatusChange
from refuge.applications.tally import count_change
from refuge.audit.actions import record
from refuge.cases.access import is_team_member
from refuge.cases.actions.tasks import do_add_task
from refuge.cases.models import Case, CaseDocument, Person, TaskKind
from refuge.core.errors import UserError
from refuge.keyring.keyring import Keyring
from refuge.keyring.registry import decrypt_text, encrypt_column
from refuge.relocation.audit_events import RelocationEvent
from refuge.relocation.models import Pathway
from refuge.relocation.queries import pathways_of

MAX_APPLICATION_TEXT_CHARS = 500
MAX_APPLICATION_NOTE_CHARS = 2000
MAX_APPOINTMENTS = 50
# A granted visa raises a task this many days before it ends, as a passport's expiry does.
VISA_WARNING_DAYS = 30


def _check_on_team(actor: User, case: Case) -> None:
    if case.organisation_id != actor.organisation_id or not is_team_member(actor, case):
        raise UserError("not_on_team", _("Only members of the case's team can do this."))


def _text(value: str, limit: int, field: str) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        raise UserError("too_long", _("This is too long."), field=field)
    return text


def _audit(event: RelocationEvent, actor: User, application: Application) -> None:
    record(
        event,
        actor_id=actor.pk,
        organisation_id=actor.organisation_id,
        object_type="application",
        object_id=application.pk,
    )


def first_of_month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def read_details(application: Application, secret: bytes) -> Details:
    return Details.from_json(decrypt_text(application, "details", secret, application.key))


def _save_details(application: Application, details: Details, secret: bytes) -> None:
    encrypt_column(application, "details", details.to_json(), secret, application.key)


def _add_change(
    application: Application, secret: bytes, actor: User, status: str, on: datetime.date, note: str
) -> None:
    last = StatusChange.objects.filter(application=application).aggregate(seq=Max("seq"))["seq"] or 0
    change = StatusChange(application=application, key=application.key, seq=last + 1, status=status, actor=actor)
    detail = json.dumps({"on": on.isoformat(), "note": note}, ensure_ascii=False)
    encrypt_column(change, "detail", detail, secret, application.key)
    change.save(force_insert=True)


def _lock(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("key", "case", "pathway")
        .get(pk=application.pk)
    )


# --- starting ----------------------------------------------------------------------------------


def do_start_application(*, actor: User, keyring: Keyring, case: Case, person: Person, pathway: Pathway) -> Application:
    """Start an application for a person of the case, its checklist pre-filled from the pathway's."""
    _check_on_team(actor, case)
    if person.case_id != case.pk:
        raise UserError("not_in_case", _("Choose a person of this case."), field="person")
    if not pathways_of(case.organisation_id).filter(pk=pathway.pk).exists():
        raise UserError("pathway_not_offered", _("This pathway is not offered any more."), field="pathway")
    today = timezone.localdate()
    with transaction.atomic():
        secret = keyring.secret_for(case.key)
        application = Application(
            organisation_id=case.organisation_id,
            case=case,
            person=person,
            pathway=pathway,
            key=case.key,
            created_by=actor,
        )
        details = Details(checklist=[ChecklistItem(item=item) for item in pathway.checklist])
        _save_details(application, details, secret)
        application.save(force_insert=True)
        _add_change(application, secret, actor, Status.PREPARING, today, "")
        _audit(RelocationEvent.APPLICATION_STARTED, actor, application)
    return application


# --- the folder: embassy, references, fees, checklist --------------------------------------------


@dataclass(frozen=True)
class FolderEdit:
    embassy: str
    city: str
    references: str
    fees_paid: str
    # For each checklist item in order: ready, and the id of the case document that holds it ("" for none).
    checklist: list[tuple[bool, str]]


def do_edit_application(
    *, actor: User, keyring: Keyring, application: Application, edit: FolderEdit, version: int
) -> Application:
    """Change where and how an application is filed, and which documents are ready."""
    _check_on_team(actor, application.case)
    values = {
        "embassy": _text(edit.embassy, MAX_APPLICATION_TEXT_CHARS, "embassy"),
        "city": _text(edit.city, MAX_APPLICATION_TEXT_CHARS, "city"),
        "references": _text(edit.references, MAX_APPLICATION_TEXT_CHARS, "references"),
        "fees_paid": _text(edit.fees_paid, MAX_APPLICATION_TEXT_CHARS, "fees_paid"),
    }
    documents = {
        str(pk) for pk in CaseDocument.objects.filter(case_id=application.case_id).values_list("pk", flat=True)
    }
    if any(document and document not in documents for _ready, document in edit.checklist):
        raise UserError("not_a_document", _("Choose a document of this case."), field="checklist")
    with transaction.atomic():
        application = _lock(application)
        if application.version != version:
            raise UserError(
                "conflict", _("Someone changed this application while you were editing it. Nothing was saved.")
            )
        secret = keyring.secret_for(application.key)
        details = read_details(application, secret)
        for name, value in values.items():
            setattr(details, name, value)
        for item, (ready, document) in zip(details.checklist, edit.checklist, strict=False):
            item.ready, item.document = ready, document
        _save_details(application, details, secret)
        application.version += 1
        application.save(update_fields=["details", "version"])
        _audit(RelocationEvent.APPLICATION_EDITED, actor, application)
    return application


# --- status ----------------------------------------------------------------------------------------


def do_change_status(
    *,
    actor: User,
    keyring: Keyring,
    application: Application,
    status: str,
    on: datetime.date,
    note: str = "",
    decision: Decision | None = None,
) -> Application:
    """Move an application on (submitted, interview, granted, refused, withdrawn, appeal), dated and attributed."""
    _check_on_team(actor, application.case)
    note = _text(note, MAX_APPLICATION_NOTE_CHARS, "note")
    if on > timezone.localdate():
        raise UserError(
            "future", _("A status change is recorded once it happened: the date cannot be in the future."), field="on"
        )
    with transaction.atomic():
        application = _lock(application)
        if status not in allowed_next(application.status):
            raise UserError(
                "bad_status", _("An application cannot move to this status from where it is."), field="status"
            )
        before = (application.status, application.decision_days)
        secret = keyring.secret_for(application.key)
        details = read_details(application, secret)
        submitted = details.submitted
        if status == Status.SUBMITTED:
            details.submitted_on = on.isoformat()
            application.submitted_month = first_of_month(on)
        elif submitted is not None and on < submitted:
            raise UserError("before_submission", _("This date is before the application was submitted."), field="on")
        if status in DECIDED:
            application.decided_month = first_of_month(on)
            application.decision_days = (on - submitted).days if submitted is not None else None
            if decision is not None:
                details.decision = decision
        application.status = status
        _save_details(application, details, secret)
        application.version += 1
        application.save()
        count_change(application, before, (application.status, application.decision_days))
        _add_change(application, secret, actor, status, on, note)
        _audit(RelocationEvent.APPLICATION_STATUS_CHANGED, actor, application)
        if status == Status.GRANTED and details.decision.valid_until:
            _visa_task(actor, keyring, application, datetime.date.fromisoformat(details.decision.valid_until))
    return application


def _visa_task(actor: User, keyring: Keyring, application: Application, valid_until: datetime.date) -> None:
    # As a passport's expiry raises a task (cases' compartments), so does a visa's end.
    title = str(_("Visa ends on %(day)s: travel before, or renew it") % {"day": valid_until.isoformat()})
    due = valid_until - datetime.timedelta(days=VISA_WARNING_DAYS)
    do_add_task(actor=actor, keyring=keyring, case=application.case, title=title, due_on=due, owner=actor)


# --- appointments ----------------------------------------------------------------------------------


def do_add_appointment(
    *, actor: User, keyring: Keyring, application: Application, on: datetime.date, what: str, owner: User | None
) -> Application:
    """Record an appointment or interview; it becomes a task of the case (on its owner's home page)."""
    _check_on_team(actor, application.case)
    what = _text(what, MAX_APPLICATION_TEXT_CHARS, "what")
    if not what:
        raise UserError(
            "required", _("Say what the appointment is (e.g. fingerprints at the visa centre)."), field="what"
        )
    with transaction.atomic():
        application = _lock(application)
        secret = keyring.secret_for(application.key)
        details = read_details(application, secret)
        if len(details.appointments) >= MAX_APPOINTMENTS:
            raise UserError("too_many", _("An application has at most 50 appointments."), field="what")
        details.appointments.append(Appointment(on=on.isoformat(), what=what))
        _save_details(application, details, secret)
        application.version += 1
        application.save(update_fields=["details", "version"])
        _audit(RelocationEvent.APPLICATION_APPOINTMENT_ADDED, actor, application)
        title = str(_("Appointment: %(what)s") % {"what": what})
        do_add_task(
            actor=actor,
            keyring=keyring,
            case=application.case,
            title=title,
            due_on=on,
            owner=owner,
            kind=TaskKind.APPOINTMENT,
        )
    return application


def do_record_application_read(*, actor: User, application: Application) -> None:
    """An application's page was decrypted for a team member."""
    with transaction.atomic():
        _audit(RelocationEvent.APPLICATION_READ, actor, application)
