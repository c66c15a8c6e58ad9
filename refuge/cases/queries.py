"""Reading cases: lists over metadata, narrowed by search (refuge/cases/search.py), and decryption of what is shown.

Lists decrypt nothing: they show references, pseudonyms, stages, priorities and
dates. Search by name, phone or document number goes through blind indexes; what they
match is confirmed in memory with the searcher's own keys (search.py).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Value
from django.utils.translation import gettext_lazy

from refuge.accounts.models import Role, User
from refuge.cases.access import visible_cases
from refuge.cases.compartments import generated_task_title
from refuge.cases.models import (
    Case,
    CaseDocument,
    CaseEvent,
    Compartment,
    Person,
    Stage,
    Task,
    TeamMember,
)
from refuge.cases.search import search_cases
from refuge.core.errors import UserError
from refuge.keyring.files import decrypt_file_content
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap
from refuge.keyring.records import decrypt_text

SEARCH_UNAVAILABLE = gettext_lazy("Searching by name, phone or document number is not available right now.")


@dataclass
class CaseFilters:
    """What the case list can be narrowed by (all optional)."""

    stage: str = ""  # a stage, "open" (default) or "all"
    priority: str = ""
    member: uuid.UUID | None = None
    shelter: uuid.UUID | None = None  # answered by refuge.shelter (register_case_filter)
    pathway: int | None = None
    opened_from: datetime.date | None = None
    opened_to: datetime.date | None = None
    overdue: bool = False
    lost_contact: bool = False
    mine: bool = False
    q: str = ""


# Filters of the case list that apps above cases answer: a CaseFilters field → the ids of
# the cases it keeps, given the field's value (a subquery). Registered when Django starts
# (refuge.shelter: "shelter", the cases with someone staying there), so cases imports none
# of those apps (docs/architecture.md, "Layers").
_CONTRIBUTED_FILTERS: dict[str, Callable[[Any], QuerySet[Any, Any]]] = {}


def register_case_filter(field: str, case_ids: Callable[[Any], QuerySet[Any, Any]]) -> None:
    """Let another app answer one CaseFilters field with the ids of the cases it keeps."""
    if field not in {f.name for f in fields(CaseFilters)}:
        raise ValueError(f"CaseFilters has no field {field!r}")
    _CONTRIBUTED_FILTERS[field] = case_ids


def case_list(user: User, filters: CaseFilters, today: datetime.date, keyring: Keyring | None = None) -> QuerySet[Case]:
    """The cases the user may list, narrowed by filters, most pressing (earliest due) first.

    Built for 100,000 cases (BENCHMARKS.md): filters are subqueries rather than joins, so
    no DISTINCT is needed; broad filters are answered from `case_list_idx` alone, narrow
    ones (team, overdue tasks, lost contact, search) start from their own indexes; the
    encrypted summary and the pathway's long texts are not loaded. `keyring`, the member's,
    confirms what a search by name, phone or document number found (`search_cases`);
    without it such matches are all marked `possible_match`.
    """
    cases = visible_cases(user)
    if filters.stage == "all":
        pass
    elif filters.stage in Stage.values:
        cases = cases.filter(stage=filters.stage)
    else:
        cases = cases.filter(still_open=True)  # case_open_idx
    if filters.priority:
        cases = cases.filter(priority=filters.priority)
    # Narrow filters are subqueries the database can start from (their own indexes).
    if filters.mine:
        cases = cases.filter(pk__in=TeamMember.objects.filter(user=user).values("case_id"))
    if filters.member is not None:
        cases = cases.filter(pk__in=TeamMember.objects.filter(user_id=filters.member).values("case_id"))
    for field, case_ids in _CONTRIBUTED_FILTERS.items():
        value = getattr(filters, field)
        if value is not None:
            cases = cases.filter(pk__in=case_ids(value))
    if filters.pathway is not None:
        cases = cases.filter(pathway_id=filters.pathway)
    if filters.opened_from is not None:
        cases = cases.filter(opened_on__gte=filters.opened_from)
    if filters.opened_to is not None:
        cases = cases.filter(opened_on__lte=filters.opened_to)
    if filters.lost_contact:
        alarms = Case.objects.filter(organisation_id=user.organisation_id, lost_contact_since__isnull=False)
        cases = cases.filter(pk__in=alarms.values("pk"))
    if filters.overdue:
        # Probed per case (task_open_due_idx): the cases are read in list order and the page
        # stops after 50, where collecting every overdue task first meant thousands of lookups.
        overdue_tasks = Task.objects.filter(case_id=OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
        cases = cases.filter(Exists(overdue_tasks))
    if filters.q:
        try:
            found = search_cases(user, filters.q, keyring)
        except KeyNotHeld:
            # A blind-index key without its server wrap: search by identity is unavailable,
            # which is said next to the box rather than failing the page.
            raise UserError("search_unavailable", SEARCH_UNAVAILABLE, field="q") from None
        cases = cases.filter(pk__in=found.ids)
        # Shown as "possible match" on the list: the searcher could not confirm it.
        possible = (
            ExpressionWrapper(Q(pk__in=found.possible), output_field=BooleanField())
            if found.possible
            else Value(False, output_field=BooleanField())  # an empty IN reads 0, not false, on PostgreSQL
        )
        cases = cases.annotate(possible_match=possible)
    return (
        cases.select_related("pathway")
        .defer("summary", *(f"pathway__{name}" for name in _PATHWAY_LONG_TEXTS))
        .order_by("due_on", "reference")
    )


# A member's list (their teams' cases) is read whole, as ids, when it is at most this long.
MAX_IDS_IN_MEMORY = 20_000


def page_of_cases(
    cases: QuerySet[Case], size: int, number: Any, *, bounded: bool = False
) -> tuple[Page[Any], list[Case]]:
    """One page of a case list: its ids first, in list order, then those rows alone.

    Ordering and skipping read only an index (the ids, due dates and references); the
    rows themselves are read for the 50 shown. Deep pages and a member's few thousand
    cases otherwise made PostgreSQL sort whole rows, or scan the table (BENCHMARKS.md).
    `bounded`: the list is a member's own (a few thousand cases at most), so one query
    for all its ids answers both the count and the page, where two would each look up
    every case of the member.
    """
    ids_in_order = cases.values_list("pk", flat=True)
    source: Any = ids_in_order
    if bounded:
        everything = list(ids_in_order[: MAX_IDS_IN_MEMORY + 1])
        if len(everything) <= MAX_IDS_IN_MEMORY:
            source = everything
    page = Paginator(source, size).get_page(number)
    ids = list(page)
    found = {case.pk: case for case in cases.order_by().filter(pk__in=ids)}
    return page, [found[pk] for pk in ids if pk in found]


def is_a_members_list(user: User, filters: CaseFilters) -> bool:
    """True when the list is bounded by someone's team rows (page_of_cases(bounded=True))."""
    return user.role != Role.COORDINATOR or filters.mine or filters.member is not None


_PATHWAY_LONG_TEXTS = (
    "legal_basis",
    "who_applies",
    "requirements",
    "typical_processing_time",
    "in_country_eligible",
    "notes",
    "sources",
)


def compartments_held_only_by(case: Case, member: User) -> list[Compartment]:
    """The compartments of the case's people that `member` alone can open (recovery aside).

    Taking that member off the team leaves them readable with the organisation's recovery
    key only: the removal page says so first (it does not refuse: a member who turned
    against the people in the case must be cut off at once).
    """
    compartments = list(
        Compartment.objects.filter(person__case=case)
        .select_related("person", "key")
        .only("id", "kind", "key__id", "key__version", "person__pseudonym")
        .order_by("person__pseudonym", "kind")
    )
    holders: dict[Any, set[Any]] = {}
    wraps = KeyWrap.objects.filter(
        key_id__in=[c.key_id for c in compartments], holder_kind=HolderKind.USER, key_version=F("key__version")
    )
    for key_id, holder_id in wraps.values_list("key_id", "holder_id"):
        holders.setdefault(key_id, set()).add(holder_id)
    return [c for c in compartments if holders.get(c.key_id, set()) == {member.pk}]


def rotation_due(case: Case) -> bool:
    """True if a key of the case (its own, the request's, a compartment's) waits to be rotated."""
    key_ids = [case.key_id] + ([case.request.key_id] if case.request is not None else [])
    compartments = Compartment.objects.filter(person__case=case).values("key_id")
    return Key.objects.filter(Q(pk__in=key_ids) | Q(pk__in=compartments), rotation_due=True).exists()


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
    return [
        Shown(t, generated_task_title(t.source, t.due_on) or decrypt_text(t, "title", secret, case.key))
        for t in case.tasks.select_related("owner")
    ]


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
    return decrypt_file_content(document, secret, document.key)
