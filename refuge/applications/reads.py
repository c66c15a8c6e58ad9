"""What the application pages show, each opened in one call: access, decryption, the audited read."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from refuge.accounts.models import User
from refuge.applications.access import access_application
from refuge.applications.actions import do_record_application_read, read_details
from refuge.applications.details import Details, allowed_next
from refuge.applications.models import Application, StatusChange
from refuge.cases.access import access_case
from refuge.cases.models import Case, CaseDocument
from refuge.keyring.keyring import Keyring
from refuge.keyring.registry import decrypt_text


@dataclass(frozen=True)
class Step:
    seq: int
    status: str
    status_label: str
    actor: str
    on: str
    note: str


@dataclass(frozen=True)
class DocumentChoice:
    id: str
    name: str


@dataclass(frozen=True)
class ApplicationPage:
    case: Case
    application: Application
    details: Details
    history: list[Step]
    next_statuses: list[str]
    documents: list[DocumentChoice]


def open_application_page(
    member: User, keyring: Keyring, case_id: uuid.UUID | str, application_id: uuid.UUID | str
) -> ApplicationPage:
    """One application decrypted for a member of its case's team (audited); 404 for anyone else."""
    case = access_case(member, case_id).case
    application = access_application(case, application_id)
    secret = keyring.secret_for(case.key)
    details = read_details(application, secret)
    history = []
    for change in StatusChange.objects.filter(application=application).select_related("actor", "key").order_by("seq"):
        detail = json.loads(decrypt_text(change, "detail", secret, change.key))
        history.append(
            Step(
                seq=change.seq,
                status=change.status,
                status_label=change.get_status_display(),
                actor=change.actor.username if change.actor else "",
                on=detail.get("on", ""),
                note=detail.get("note", ""),
            )
        )
    documents = [
        DocumentChoice(id=str(document.pk), name=decrypt_text(document, "name", secret, document.key))
        for document in CaseDocument.objects.filter(case=case).select_related("key").order_by("created_at")
    ]
    do_record_application_read(actor=member, application=application)
    return ApplicationPage(case, application, details, history, allowed_next(application.status), documents)


def ready_documents(keyring: Keyring, case: Case, person_id: uuid.UUID) -> list[str]:
    """The checklist documents already ready in any of the person's applications (the advisor's "to prepare")."""
    secret = keyring.secret_for(case.key)
    ready: list[str] = []
    for application in Application.objects.filter(case=case, person_id=person_id).select_related("key"):
        ready += [item.item for item in read_details(application, secret).checklist if item.ready]
    return ready
