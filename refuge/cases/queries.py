"""Reading cases: lists and search over metadata and blind indexes, decryption of what is shown.

Lists decrypt nothing: they show references, pseudonyms, stages, priorities and
dates. Search by name, phone or document number goes through blind indexes, so the
server compares keyed hashes and never reads a compartment.
"""

from __future__ import annotations

import datetime
import io
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from refuge.accounts.models import User
from refuge.cases.access import visible_cases
from refuge.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseIndex,
    Compartment,
    Person,
    Stage,
    Task,
)
from refuge.crypto import blind_index, decrypt_stream
from refuge.intake.actions import INDEXED_FIELDS
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Key, Purpose
from refuge.keyring.records import decrypt_column, decrypt_text, server_secret_for

CLOSED_STAGES = (Stage.CLOSED, Stage.DECLINED)
MAX_SEARCH_CHARS = 200


@dataclass
class CaseFilters:
    """What the case list can be narrowed by (all optional)."""

    stage: str = ""  # a stage, "open" (default) or "all"
    priority: str = ""
    member: uuid.UUID | None = None
    shelter: uuid.UUID | None = None
    pathway: int | None = None
    opened_from: datetime.date | None = None
    opened_to: datetime.date | None = None
    overdue: bool = False
    lost_contact: bool = False
    mine: bool = False
    q: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def case_list(user: User, filters: CaseFilters, today: datetime.date) -> QuerySet[Case]:
    """The cases the user may list, narrowed by filters, most pressing (earliest due) first."""
    cases = visible_cases(user)
    if filters.stage == "all":
        pass
    elif filters.stage in Stage.values:
        cases = cases.filter(stage=filters.stage)
    else:
        cases = cases.exclude(stage__in=CLOSED_STAGES)
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    if filters.mine:
        cases = cases.filter(team__user=user)
    if filters.member is not None:
        cases = cases.filter(team__user_id=filters.member)
    if filters.shelter is not None:
        cases = cases.filter(placements__shelter_id=filters.shelter, placements__ended_on__isnull=True)
    if filters.pathway is not None:
        cases = cases.filter(pathway_id=filters.pathway)
    if filters.opened_from is not None:
        cases = cases.filter(opened_on__gte=filters.opened_from)
    if filters.opened_to is not None:
        cases = cases.filter(opened_on__lte=filters.opened_to)
    if filters.lost_contact:
        cases = cases.filter(lost_contact_since__isnull=False)
    if filters.overdue:
        overdue_tasks = Task.objects.filter(case=OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
        cases = cases.filter(Exists(overdue_tasks))
    if filters.q:
        cases = cases.filter(pk__in=search_case_ids(user, filters.q))
    return cases.select_related("pathway").distinct().order_by("due_on", "reference")


def search_case_ids(user: User, text: str) -> QuerySet[Any]:
    """Ids of the organisation's cases matching a reference, a pseudonym, or exactly a name, phone or document number."""
    text = text.strip()[:MAX_SEARCH_CHARS]
    organisation_id = user.organisation_id
    match = Q(pk__in=Person.objects.filter(organisation_id=organisation_id, pseudonym__iexact=text).values("case_id"))
    match |= Q(reference__iexact=text)
    if len(text) >= 3:
        match |= Q(
            pk__in=Person.objects.filter(organisation_id=organisation_id, pseudonym__istartswith=text).values("case_id")
        )
    digests = index_digests(organisation_id, text)
    if digests:
        match |= Q(
            pk__in=CaseIndex.objects.filter(
                organisation_id=organisation_id,
                field__in=[f for f, _d in digests],
                digest__in=[d for _f, d in digests],
            ).values("case_id")
        )
    return Case.objects.filter(organisation_id=organisation_id).filter(match).values("pk")


def index_digests(organisation_id: Any, text: str) -> list[tuple[str, str]]:
    """The blind-index digest of the search text for every indexed field it normalises for."""
    keys = {
        key.label.removeprefix("blind-index:"): key
        for key in Key.objects.filter(organisation_id=organisation_id, purpose=Purpose.BLIND_INDEX)
    }
    found = []
    for field_name, normalise in INDEXED_FIELDS.items():
        key = keys.get(field_name)
        normalised = normalise(text)
        if key is None or not normalised:
            continue
        found.append((field_name, blind_index(server_secret_for(key), field_name, normalised)))
    return found


def people_of_page(cases: list[Case]) -> dict[Any, list[Person]]:
    """Pseudonyms of the people of a page of cases, in one query."""
    people: dict[Any, list[Person]] = {case.pk: [] for case in cases}
    for person in (
        Person.objects.filter(case__in=cases)
        .only("id", "case_id", "pseudonym", "role")
        .order_by("added_on", "pseudonym")
    ):
        people[person.case_id].append(person)
    return people


# --- decrypting what is shown ---------------------------------------------------------------


def read_summary(case: Case, secret: bytes) -> Any:
    """The case narrative: the request's answers (a dict) or the team's own text (a str)."""
    stored = json.loads(decrypt_text(case, "summary", secret, case.key))
    if isinstance(stored, dict) and set(stored) == {"text"}:
        return str(stored["text"])
    return stored


@dataclass(frozen=True)
class Shown:
    row: Any
    text: str


def read_notes(case: Case, secret: bytes, limit: int = 50) -> list[Shown]:
    return [Shown(n, decrypt_text(n, "body", secret, case.key)) for n in case.notes.select_related("author")[:limit]]


def read_tasks(case: Case, secret: bytes) -> list[Shown]:
    return [Shown(t, decrypt_text(t, "title", secret, case.key)) for t in case.tasks.select_related("owner")]


def read_events(case: Case, secret: bytes, limit: int = 100) -> list[Shown]:
    shown = []
    for event in CaseEvent.objects.filter(case=case).select_related("actor")[:limit]:
        shown.append(Shown(event, decrypt_text(event, "detail", secret, case.key)))
    return shown


def read_expenses(case: Case, secret: bytes) -> list[Shown]:
    return [Shown(e, decrypt_text(e, "note", secret, case.key)) for e in case.expenses.all()]


def read_person_details(person: Person, secret: bytes) -> str:
    details = json.loads(decrypt_text(person, "details", secret, person.key))
    return str(details.get("details", "")) if isinstance(details, dict) else ""


def read_compartment(compartment: Compartment, keyring: Keyring) -> dict[str, Any]:
    """A compartment's content; KeyNotHeld if the member was not granted it."""
    secret = keyring.secret_for(compartment.key)
    content: dict[str, Any] = json.loads(decrypt_text(compartment, "content", secret, compartment.key))
    return content


def read_document_names(case: Case, secret: bytes) -> list[Shown]:
    return [
        Shown(d, decrypt_text(d, "name", secret, case.key))
        for d in CaseDocument.objects.filter(case=case).defer("data").select_related("uploaded_by")
    ]


def read_document_content(document: CaseDocument, secret: bytes) -> bytes:
    file_key = decrypt_column(document, "file_key", secret, document.key)
    sink = io.BytesIO()
    decrypt_stream(file_key, io.BytesIO(bytes(document.data)), sink, ad=str(document.pk).encode())
    return sink.getvalue()
