"""What the retention rules make due: now (for the daily job) or within the next days (for the coordinator)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from refuge.accounts.models import Organisation
from refuge.cases.models import Case, CaseDocument, Stage
from refuge.core.rows import date_from_sql
from refuge.intake.models import HelpRequest, MergedRequest, RequesterStatus
from refuge.retention.models import LegalHold, RetentionRule, Subject

# What a coordinator is shown ahead of the job (issue #15: "the next 30 days").
PLAN_DAYS = 30


@dataclass(frozen=True)
class DueItem:
    """One record a rule makes due: never its content, only what names it to staff."""

    subject: str
    kind: str  # "case", "request" or "document"
    id: uuid.UUID
    reference: str  # the case's or request's staff reference ("" for a document: see case_reference)
    case_reference: str
    due_on: datetime.date
    case_id: uuid.UUID | None = None  # the case it is or belongs to, for a hold (None for a request)


def rules_of(organisation: Organisation) -> dict[str, int]:
    """{subject: days} of the organisation's rules."""
    return dict(RetentionRule.objects.filter(organisation=organisation).values_list("subject", "days"))


def _held_cases(organisation: Organisation) -> QuerySet[LegalHold, uuid.UUID | None]:
    return LegalHold.objects.filter(organisation=organisation, case__isnull=False).values_list("case_id", flat=True)


def _held_requests(organisation: Organisation) -> QuerySet[LegalHold, uuid.UUID | None]:
    return LegalHold.objects.filter(organisation=organisation, request__isnull=False).values_list(
        "request_id", flat=True
    )


def _cases(organisation: Organisation, stage: str, ended_field: str, cutoff: datetime.date) -> QuerySet[Case]:
    return (
        Case.objects.filter(organisation=organisation, stage=stage, **{f"{ended_field}__lte": cutoff})
        .exclude(id__in=_held_cases(organisation))
        .order_by(ended_field, "reference")
    )


def attached_to_cases() -> QuerySet[MergedRequest, uuid.UUID]:
    """Ids of requests attached to a case (merged into the request a case was opened from): the case keeps them."""
    return MergedRequest.objects.filter(into__case__isnull=False).values_list("request_id", flat=True)


def _free_requests(organisation: Organisation, cutoff: datetime.date) -> QuerySet[HelpRequest]:
    """Requests that never became a case nor were attached to one, untouched since before cutoff, not held."""
    # A request's case keeps it (SET_NULL would leave the case without its request's messages),
    # and so does the case a request was attached to: its key and conversation are the team's now.
    end_of_cutoff = datetime.datetime.combine(cutoff + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
    return (
        HelpRequest.objects.filter(organisation=organisation, case__isnull=True, last_activity_at__lt=end_of_cutoff)
        .exclude(id__in=_held_requests(organisation))
        .exclude(id__in=attached_to_cases())
        .order_by("last_activity_at", "reference")
    )


def due_items(organisation: Organisation, *, today: datetime.date, within_days: int = 0) -> list[DueItem]:
    """Every record of the organisation due on or before today + within_days, each once, earliest first."""
    rules = rules_of(organisation)
    horizon = today + datetime.timedelta(days=within_days)
    found: dict[tuple[str, uuid.UUID], DueItem] = {}

    def add(item: DueItem) -> None:
        # A record due under two rules is shredded at the earlier date.
        known = found.get((item.kind, item.id))
        if known is None or item.due_on < known.due_on:
            found[(item.kind, item.id)] = item

    for subject, stage, field in (
        (Subject.CLOSED_CASE, Stage.CLOSED, "closed_on"),
        (Subject.DECLINED_CASE, Stage.DECLINED, "stage_changed_on"),
    ):
        if subject in rules:
            delta = datetime.timedelta(days=rules[subject])
            for case_id, reference, ended in _cases(organisation, stage, field, horizon - delta).values_list(
                "id", "reference", field
            ):
                add(DueItem(subject, "case", case_id, reference, reference, ended + delta, case_id))
    for subject, only_declined in ((Subject.DECLINED_REQUEST, True), (Subject.UNUSED_RECEIPT, False)):
        if subject in rules:
            delta = datetime.timedelta(days=rules[subject])
            requests = _free_requests(organisation, horizon - delta)
            if only_declined:
                requests = requests.filter(status=RequesterStatus.DECLINED)
            for request_id, reference, last in requests.values_list("id", "reference", "last_activity_at"):
                add(DueItem(subject, "request", request_id, reference, "", last.date() + delta))
    if Subject.EVIDENCE in rules:
        delta = datetime.timedelta(days=rules[Subject.EVIDENCE])
        cutoff = horizon - delta
        documents = CaseDocument.objects.filter(case__organisation=organisation).filter(
            Q(case__stage=Stage.CLOSED, case__closed_on__lte=cutoff)
            | Q(case__stage=Stage.DECLINED, case__stage_changed_on__lte=cutoff)
        )
        for document_id, case_id, reference, case_stage, closed, changed in documents.exclude(
            case_id__in=_held_cases(organisation)
        ).values_list("id", "case_id", "case__reference", "case__stage", "case__closed_on", "case__stage_changed_on"):
            end: datetime.date = closed if case_stage == Stage.CLOSED and closed is not None else changed
            due = end + delta
            case_item = found.get(("case", case_id))
            # A document whose case goes at the same time or sooner goes with it.
            if case_item is None or case_item.due_on > due:
                add(DueItem(Subject.EVIDENCE, "document", document_id, "", reference, due, case_id))
    return sorted(found.values(), key=lambda item: (item.due_on, item.kind, item.case_reference, item.reference))


# At most this many due records are named on the coordinator's page; the counts cover them all.
PLAN_SHOWN = 200


@dataclass(frozen=True)
class Plan:
    """What the rules will shred within `days` days: counts per subject, and the first records by date."""

    days: int
    counts: dict[str, int]
    items: list[DueItem]  # the earliest PLAN_SHOWN
    total: int


def plan_of(organisation: Organisation, *, today: datetime.date, days: int = PLAN_DAYS) -> Plan:
    """The coordinator's view of the next `days` days: references and dates, never content."""
    items = due_items(organisation, today=today, within_days=days)
    counts = {subject.value: 0 for subject in Subject}
    for item in items:
        counts[item.subject] += 1
    return Plan(days=days, counts=counts, items=items[:PLAN_SHOWN], total=len(items))


@dataclass(frozen=True)
class Hold:
    """One legal hold as a coordinator sees it: what it names, by reference, and since when."""

    kind: str  # "case" or "request"
    id: uuid.UUID
    reference: str
    held_since: datetime.date


def holds_of(organisation: Organisation) -> list[Hold]:
    """Every legal hold of the organisation, oldest first (a hold is a deliberate act: they stay few)."""
    rows = (
        LegalHold.objects.filter(organisation=organisation)
        .order_by("held_since", "id")
        .values_list("case_id", "case__reference", "request_id", "request__reference", "held_since")
    )
    return [
        Hold("case", case_id, case_reference, since)
        if case_id is not None
        else Hold("request", request_id, request_reference, since)
        for case_id, case_reference, request_id, request_reference, since in rows
    ]


@dataclass(frozen=True)
class CaseRetention:
    """What the case page says of one case: its hold, or the day a rule will shred it."""

    held_since: datetime.date | None
    due_on: datetime.date | None  # None: no rule applies to it now (open, or no rule for its stage)


# The retention panel's question (refuge/workspace/panels.py, `CasePanel.asks`): the day the case's
# hold began (NULL: not held), asked with every panel's question in one statement of the case page.
CASE_QUESTIONS = {"retention_held_since": "SELECT held_since FROM retention_legalhold WHERE case_id = %(case)s"}


def case_retention(case: Case, answers: Mapping[str, Any] | None = None) -> CaseRetention:
    """The case's hold, or when its stage's rule makes it due (its documents may go sooner: see the plan).

    `answers`: `CASE_QUESTIONS` answered already (the case page's panel); else the hold is looked up."""
    if answers is None:
        held_since = LegalHold.objects.filter(case=case).values_list("held_since", flat=True).first()
    else:
        held_since = date_from_sql(answers["retention_held_since"])
    if held_since is not None:
        return CaseRetention(held_since=held_since, due_on=None)
    return CaseRetention(held_since=None, due_on=_due_by_stage_rule(case))


def _due_by_stage_rule(case: Case) -> datetime.date | None:
    """The day the rule of the case's stage makes it due, if it is closed or declined and a rule exists."""
    if case.stage == Stage.CLOSED and case.closed_on is not None:
        subject, ended = Subject.CLOSED_CASE, case.closed_on
    elif case.stage == Stage.DECLINED:
        subject, ended = Subject.DECLINED_CASE, case.stage_changed_on
    else:
        return None
    days = (
        RetentionRule.objects.filter(organisation_id=case.organisation_id, subject=subject)
        .values_list("days", flat=True)
        .first()
    )
    return None if days is None else ended + datetime.timedelta(days=days)


@dataclass(frozen=True)
class RequestRetention:
    """What the request page says of one request: its hold, or the day a rule will shred it."""

    in_case: bool  # a request in a case is kept, held and shredded with its case
    held_since: datetime.date | None
    due_on: datetime.date | None  # None: no rule applies to it now


def request_retention(help_request: HelpRequest) -> RequestRetention:
    """The request's hold, or the earliest day a request rule makes it due (as due_items would list it)."""
    in_case = (
        Case.objects.filter(request=help_request).exists() or attached_to_cases().filter(request=help_request).exists()
    )
    if in_case:
        return RequestRetention(in_case=True, held_since=None, due_on=None)
    held_since = LegalHold.objects.filter(request=help_request).values_list("held_since", flat=True).first()
    if held_since is not None:
        return RequestRetention(in_case=False, held_since=held_since, due_on=None)
    rules = rules_of(help_request.organisation)
    subjects = [Subject.UNUSED_RECEIPT]
    if help_request.status == RequesterStatus.DECLINED:
        subjects.append(Subject.DECLINED_REQUEST)
    last = help_request.last_activity_at.date()
    dates = [last + datetime.timedelta(days=rules[subject]) for subject in subjects if subject in rules]
    return RequestRetention(in_case=False, held_since=None, due_on=min(dates, default=None))
