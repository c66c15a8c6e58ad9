"""What staff pages show of a case, each opened in one call: access, decrypt, audit the read.

A view never holds key bytes (STYLE.md #18): it asks for the page it shows
(`open_case_page`, `open_person_page`, `open_compartment`, ...) and receives plaintext.
Every function here checks access first (the same 404 for missing and not yours), records
the read in the audit log before anything decrypted leaves it, and either says what could
not be opened (a page that shows a lock: `locked` / `unreadable`) or raises `KeyNotHeld` /
`CryptoError` for the workspace's error boundary (refuge/workspace/decorators.py).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404

from refuge.accounts.models import User
from refuge.cases.access import access_case, access_person, compartment_holders, visible_cases
from refuge.cases.actions.compartments import do_record_compartment_read
from refuge.cases.actions.details import do_record_case_read
from refuge.cases.actions.documents import do_record_document_read
from refuge.cases.attach import attached_requests
from refuge.cases.models import Case, CaseDocument, Compartment, CompartmentKind, Person, TeamMember
from refuge.cases.queries import (
    Shown,
    read_compartment,
    read_document_content,
    read_document_names,
    read_events,
    read_expenses,
    read_notes,
    read_person_details,
    read_summary,
    read_tasks,
)
from refuge.core.lookup import by_id_or_404, uuid_or_404
from refuge.crypto import CryptoError
from refuge.intake.models import HelpRequest, MergedRequest, RequestFile
from refuge.intake.queries import ShownFile, ShownMessage, read_file_content, read_files, read_messages
from refuge.intake.reads import OpenedFile, RequestPage, read_request
from refuge.keyring.keyring import KeyNotHeld, Keyring

log = logging.getLogger(__name__)


# --- the case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseContent:
    """Everything of a case decrypted for its page (the case key)."""

    summary: Any  # the request's answers (a dict) or the team's own text (a str)
    notes: list[Shown]
    tasks: list[Shown]
    events: list[Shown]
    expenses: list[Shown]
    documents: list[Shown]


@dataclass(frozen=True)
class Conversation:
    """The conversation with the requester (the request key, which a member may lack alone)."""

    messages: list[ShownMessage] = field(default_factory=list)
    # Every file the requester sent: with the request form and in later messages.
    files: list[ShownFile] = field(default_factory=list)
    locked: bool = False
    unreadable: bool = False


@dataclass(frozen=True)
class CasePage:
    case: Case
    # False for a coordinator off the team: metadata only, nothing was decrypted.
    team_member: bool
    content: CaseContent | None = None
    conversation: Conversation | None = None  # None: the case did not come from a request
    locked: bool = False
    unreadable: bool = False
    # Requests attached to the case later (refuge/cases/attach.py), each decrypted or saying why not.
    attached: list[RequestPage] = field(default_factory=list)


def open_case_page(member: User, keyring: Keyring, case_id: uuid.UUID | str) -> CasePage:
    """The case as its page shows it: decrypted for team members (audited), metadata for a coordinator."""
    access = access_case(member, case_id, content=False)
    case = access.case
    if not access.member:
        return CasePage(case, team_member=False)
    try:
        secret = keyring.secret_for(case.key)
        do_record_case_read(actor=member, case=case)
        content = CaseContent(
            summary=read_summary(case, secret),
            notes=read_notes(case, secret),
            tasks=read_tasks(case, secret),
            events=read_events(case, secret),
            expenses=read_expenses(case, secret),
            documents=read_document_names(case, secret),
        )
    except KeyNotHeld:
        return CasePage(case, team_member=True, locked=True)
    except CryptoError:
        # Stored data that does not open with its key was altered: show none of it.
        log.error("case %s did not decrypt; it may have been tampered with", case.pk)
        return CasePage(case, team_member=True, unreadable=True)
    attached = [read_request(member, keyring, request) for request in attached_requests(case)]
    return CasePage(
        case, team_member=True, content=content, conversation=_conversation(case, keyring), attached=attached
    )


def _conversation(case: Case, keyring: Keyring) -> Conversation | None:
    if case.request is None:
        return None
    try:
        secret = keyring.secret_for(case.request.key)
        files = read_files(case.request, secret)
        return Conversation(read_messages(case.request, secret, files), files)
    except KeyNotHeld:
        return Conversation(locked=True)
    except CryptoError:
        log.error("the conversation of case %s did not decrypt; it may have been tampered with", case.pk)
        return Conversation(unreadable=True)


@dataclass(frozen=True)
class CaseSummary:
    case: Case
    summary: Any = None
    locked: bool = False
    unreadable: bool = False


def open_case_summary(member: User, keyring: Keyring, case_id: uuid.UUID | str) -> CaseSummary:
    """The case's narrative for its edit page (team members, audited), or why it does not open."""
    case = access_case(member, case_id).case
    try:
        return CaseSummary(case, read_case_summary(member, keyring, case))
    except KeyNotHeld:
        return CaseSummary(case, locked=True)
    except CryptoError:
        log.error("case %s did not decrypt; it may have been tampered with", case.pk)
        return CaseSummary(case, unreadable=True)


def read_case_summary(member: User, keyring: Keyring, case: Case) -> Any:
    """The narrative of a case the member reached with `access_case` (audited); raises if it does not open."""
    secret = keyring.secret_for(case.key)
    do_record_case_read(actor=member, case=case)
    return read_summary(case, secret)


# --- files ----------------------------------------------------------------------------------------


def access_document(case: Case, document_id: uuid.UUID | str) -> CaseDocument:
    """A document of a case the member reached with `access_case`; else 404."""
    return by_id_or_404(CaseDocument.objects.select_related("key").filter(case=case), document_id)


def open_case_document(member: User, keyring: Keyring, case: Case, document_id: uuid.UUID | str) -> OpenedFile:
    """A case document's content (audited); raises KeyNotHeld / CryptoError if it does not open."""
    document = access_document(case, document_id)
    content = read_document_content(document, keyring.secret_for(case.key))
    do_record_document_read(actor=member, document=document)
    return OpenedFile(document.kind, document.pk, content)


def access_case_request_file(case: Case, file_id: uuid.UUID | str) -> RequestFile:
    """A file a requester sent with the request a case came from, or with one attached to it; else 404."""
    if case.request_id is None:
        raise Http404
    requests = [case.request_id, *(attached.pk for attached in attached_requests(case))]
    return by_id_or_404(RequestFile.objects.select_related("key").filter(request_id__in=requests), file_id)


def open_case_request_file(member: User, keyring: Keyring, case: Case, file_id: uuid.UUID | str) -> OpenedFile:
    """A requester's file, for the case's team (audited as a read of the case)."""
    stored = access_case_request_file(case, file_id)
    # The file's own request key: the case's request's, or an attached request's.
    content = read_file_content(stored, keyring.secret_for(stored.key))
    do_record_case_read(actor=member, case=case)
    return OpenedFile(stored.kind, stored.pk, content)


# --- people -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompartmentRow:
    """One compartment kind of a person: whether it exists, whether the member holds it, and who does."""

    kind: str
    label: str
    compartment: Compartment | None
    held: bool
    holders: list[str]


@dataclass(frozen=True)
class PersonPage:
    case: Case
    person: Person
    details: str
    compartments: list[CompartmentRow]


def reach_person(member: User, case_id: uuid.UUID | str, person_id: uuid.UUID | str) -> tuple[Case, Person]:
    """The case (team members only) and one of its people; 404 otherwise. Nothing is decrypted."""
    case = access_case(member, case_id).case
    person = access_person(member, case, person_id)
    person.case = case  # the same row, with its key already loaded
    return case, person


def open_person_page(
    member: User, keyring: Keyring, case_id: uuid.UUID | str, person_id: uuid.UUID | str
) -> PersonPage:
    """A person of a case with their working notes decrypted (audited) and who holds each compartment."""
    case, person = reach_person(member, case_id, person_id)
    details = open_person_details(member, keyring, person)
    return PersonPage(case, person, details, _compartment_rows(member, person))


def open_person_details(member: User, keyring: Keyring, person: Person) -> str:
    """A person's working notes (under the case key), audited as a read of the case; raises if they do not open."""
    details = read_person_details(person, keyring.secret_for(person.case.key))
    do_record_case_read(actor=member, case=person.case)
    return details


def _compartment_rows(member: User, person: Person) -> list[CompartmentRow]:
    existing = {c.kind: c for c in Compartment.objects.filter(person=person).select_related("key")}
    holder_ids = {kind: compartment_holders(compartment) for kind, compartment in existing.items()}
    everyone = set().union(*holder_ids.values()) if holder_ids else set()
    names = dict(User.objects.filter(pk__in=everyone).values_list("pk", "username"))
    rows = []
    for kind, label in CompartmentKind.choices:
        ids = holder_ids.get(kind, set())
        rows.append(
            CompartmentRow(
                kind=kind,
                label=str(label),
                compartment=existing.get(kind),
                held=member.pk in ids,
                holders=sorted(names[i] for i in ids if i in names),
            )
        )
    return rows


# --- compartments -----------------------------------------------------------------------------


def compartment_kind(kind: str) -> str:
    """A compartment kind named in an address; 404 for anything else."""
    if kind not in CompartmentKind.values:
        raise Http404
    return kind


def find_compartment(person: Person, kind: str) -> Compartment | None:
    """The person's compartment of this kind, if one was made (nothing decrypted)."""
    compartment = Compartment.objects.select_related("key").filter(person=person, kind=compartment_kind(kind)).first()
    if compartment is not None:
        compartment.person = person
    return compartment


@dataclass(frozen=True)
class OpenedCompartment:
    """A compartment as its page shows it; `content` only for a member who holds its key."""

    kind: str
    compartment: Compartment | None  # None: not made yet
    holders: list[User]
    held: bool
    content: dict[str, Any] | None = None


def open_compartment(member: User, keyring: Keyring, person: Person, kind: str) -> OpenedCompartment:
    """A person's compartment: decrypted (audited) for its holders, only who holds it for the others.

    Need-to-know (DESIGN.md §4): a team member without the compartment's own key learns that it
    exists and whom to ask, not a word of it. Raises if a holder's compartment does not open.
    """
    compartment = find_compartment(person, kind)
    if compartment is None:
        return OpenedCompartment(kind, None, [], held=True)
    holder_ids = compartment_holders(compartment)
    holders = list(User.objects.filter(pk__in=holder_ids).order_by("username"))
    if member.pk not in holder_ids:
        return OpenedCompartment(kind, compartment, holders, held=False)
    content = read_compartment(compartment, keyring)
    do_record_compartment_read(actor=member, compartment=compartment)
    return OpenedCompartment(kind, compartment, holders, held=True, content=content)


def holds_compartment(member: User, compartment: Compartment) -> bool:
    return member.pk in compartment_holders(compartment)


def access_held_compartment(member: User, person: Person, kind: str) -> Compartment:
    """A compartment that exists and that the member holds (only holders share and unshare); else 404."""
    compartment = find_compartment(person, kind)
    if compartment is None or not holds_compartment(member, compartment):
        raise Http404
    return compartment


def access_compartment_holder(compartment: Compartment, member_id: uuid.UUID | str) -> User:
    """A member who holds the compartment; else 404."""
    holder = User.objects.filter(pk=uuid_or_404(member_id), pk__in=compartment_holders(compartment)).first()
    if holder is None:
        raise Http404
    return holder


@dataclass(frozen=True)
class OtherRequest:
    """A request named on another request's page (duplicate hint, link), and the case it went into.

    `in_case`: it was accepted into a case. `case` only when the member may see that case
    (on its team, or a coordinator seeing metadata); others learn that a case exists, not which.
    """

    request: HelpRequest
    in_case: bool = False
    case: Case | None = None
    # The member is on that case's team: they may attach the request shown to it.
    on_team: bool = False


def other_requests(member: User, requests: list[HelpRequest]) -> list[OtherRequest]:
    """The requests with the case each one is in, as far as the member may know it; decrypts nothing.

    A request attached to a case (merged into the request it was opened from) is in that case too.
    """
    into = dict(MergedRequest.objects.filter(request__in=requests).values_list("request_id", "into_id"))
    opened_from = {request.pk: into.get(request.pk, request.pk) for request in requests}
    case_of = dict(
        Case.objects.filter(organisation_id=member.organisation_id, request__in=set(opened_from.values())).values_list(
            "request_id", "pk"
        )
    )
    in_case = {pk: case_of[source] for pk, source in opened_from.items() if source in case_of}
    visible = {case.pk: case for case in visible_cases(member).filter(pk__in=in_case.values()).only("id", "reference")}
    teams = set(TeamMember.objects.filter(user=member, case_id__in=visible).values_list("case_id", flat=True))
    shown = []
    for request in requests:
        case_id = in_case.get(request.pk)
        case = None if case_id is None else visible.get(case_id)
        shown.append(OtherRequest(request, case_id is not None, case, case is not None and case.pk in teams))
    return shown
