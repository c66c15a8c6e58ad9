"""Cases: the list and one case's metadata (scope cases:read), a stage change (cases:write)."""

import uuid
from typing import Literal

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from refuge.accounts.api_tokens import Scope
from refuge.api.auth import caller
from refuge.api.errors import READ_ERRORS, WRITE_ERRORS
from refuge.api.schemas import MAX_PAGE, MAX_PER_PAGE, CaseOut, Page, StageChange, StageName
from refuge.api.views import paginate
from refuge.cases.access import CASE_ROLES, access_case
from refuge.cases.actions.details import do_change_stage
from refuge.cases.models import Case
from refuge.cases.queries import CaseFilters, case_list

router = Router(tags=["cases"])


class CaseListQuery(Schema):
    # "open" (the default) or "all", or one stage.
    stage: StageName | Literal["open", "all"] = "open"
    priority: Literal["emergency", "urgent", "normal"] | None = None
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


def case_out(case: Case) -> CaseOut:
    return CaseOut(
        id=case.pk,
        reference=case.reference,
        stage=case.stage,
        priority=case.priority,
        closing_reason=case.closing_reason,
        lost_contact_since=case.lost_contact_since,
        pathway_id=case.pathway_id,
        opened_on=case.opened_on,
        due_on=case.due_on,
        stage_changed_on=case.stage_changed_on,
        last_activity_on=case.last_activity_on,
        closed_on=case.closed_on,
        budget_minor=case.budget_minor,
        currency=case.currency,
        version=case.version,
    )


@router.get(
    "/cases", response={200: Page[CaseOut], **READ_ERRORS}, url_name="cases", summary="List the cases you may see"
)
def list_cases(request: HttpRequest, query: Query[CaseListQuery]) -> Page[CaseOut]:
    """Team members list their cases, coordinators every case of the organisation: metadata only, most pressing first."""
    who = caller(request, Scope.CASES_READ, CaseListQuery.model_fields)
    if who.member.role not in CASE_ROLES:
        raise Http404  # as the workspace's case list: auditors and administrators see no cases
    filters = CaseFilters(stage=query.stage, priority=query.priority or "")
    cases = case_list(who.member, filters, timezone.localdate())
    return paginate(cases, query.page, query.per_page, case_out)


@router.get(
    "/cases/{uuid:case_id}", response={200: CaseOut, **READ_ERRORS}, url_name="case", summary="One case's metadata"
)
def get_case(request: HttpRequest, case_id: uuid.UUID) -> CaseOut:
    """A case's metadata, for its team and for coordinators; 404 for anyone else and for a missing case."""
    who = caller(request, Scope.CASES_READ)
    return case_out(access_case(who.member, case_id, content=False).case)


@router.post(
    "/cases/{uuid:case_id}/stage",
    response={200: CaseOut, **WRITE_ERRORS},
    url_name="case_stage",
    summary="Change a case's stage",
)
def change_stage(request: HttpRequest, case_id: uuid.UUID, change: StageChange) -> CaseOut:
    """Move a case along the stage table (team members, keys unlocked: the timeline entry is encrypted)."""
    who = caller(request, Scope.CASES_WRITE)
    case = access_case(who.member, case_id).case
    do_change_stage(
        actor=who.member,
        keyring=who.keyring,
        case=case,
        stage=change.stage,
        version=change.version,
        closing_reason=change.closing_reason,
    )
    return case_out(case)
