"""What the application pages show, each opened in one call: access, decryption, the audited read."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from refuge.accounts.models import User
from refuge.applications.access import access_application
from refuge.applications.actions import do_record_application_read, read_details
from refuge.applications.details import Details, allowed_next
from refuge.applications.models import Application, Status, StatusChange
from refuge.applications.travel import (
    TravelPage,
    address_holder,
    do_move_first_address,
    do_record_travel_read,
    read_travel,
)
from refuge.cases.access import access_case
from refuge.cases.models import Case, CaseDocument, CompartmentKind, Person
from refuge.cases.reads import OpenedCompartment, open_compartment
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
    documents = case_documents(keyring, case)
    do_record_application_read(actor=member, application=application)
    return ApplicationPage(case, application, details, history, allowed_next(application.status), documents)


def ready_documents(keyring: Keyring, case: Case, person_id: uuid.UUID) -> list[str]:
    """The checklist documents already ready in any of the person's applications (the advisor's "to prepare")."""
    secret = keyring.secret_for(case.key)
    ready: list[str] = []
    for application in Application.objects.filter(case=case, person_id=person_id).select_related("key"):
        ready += [item.item for item in read_details(application, secret).checklist if item.ready]
    return ready


@dataclass(frozen=True)
class VisaHint:
    person: str
    pathway: str
    valid_from: str
    valid_until: str


@dataclass(frozen=True)
class TravelView:
    """The travel page of a case: legs and journey, the case's documents (tickets), granted visas."""

    case: Case
    travel: TravelPage
    documents: list[DocumentChoice]
    visas: list[VisaHint]
    # The first address: in the arrival compartment of this person, read only by its holders.
    address_person: Person | None = None
    address: OpenedCompartment | None = None


def case_documents(keyring: Keyring, case: Case) -> list[DocumentChoice]:
    """The case's documents by name (for a checklist or a ticket); the caller reached the case as a team member."""
    secret = keyring.secret_for(case.key)
    rows = CaseDocument.objects.filter(case=case).select_related("key").order_by("created_at")
    return [DocumentChoice(id=str(row.pk), name=decrypt_text(row, "name", secret, row.key)) for row in rows]


def open_travel_page(member: User, keyring: Keyring, case_id: uuid.UUID | str) -> TravelView:
    """A case's travel and arrival decrypted for a member of its team (audited); 404 for anyone else."""
    case = access_case(member, case_id).case
    secret = keyring.secret_for(case.key)
    do_move_first_address(actor=member, keyring=keyring, case=case)  # an address stored before its compartment
    page = read_travel(keyring, case)
    visas = []
    for application in Application.objects.filter(case=case, status=Status.GRANTED).select_related(
        "key", "pathway", "person"
    ):
        decision = read_details(application, secret).decision
        pathway = f"{application.pathway.country}: {application.pathway.short_name}"
        visas.append(VisaHint(application.person.pseudonym, pathway, decision.valid_from, decision.valid_until))
    person = address_holder(case) if page.arrived else None
    # Need-to-know: a team member who was not given the compartment learns who holds it, not the address.
    address = open_compartment(member, keyring, person, CompartmentKind.ARRIVAL) if person else None
    do_record_travel_read(actor=member, case=case)
    return TravelView(case, page, case_documents(keyring, case), visas, person, address)
