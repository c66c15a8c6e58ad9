"""A case's relocation applications: their clear metadata (scope cases:read), as the case page's panel lists them."""

import datetime
import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from refuge.accounts.api_tokens import Scope
from refuge.api.auth import caller
from refuge.api.errors import READ_ERRORS
from refuge.api.schemas import MAX_PAGE, MAX_PER_PAGE, Page
from refuge.api.views import paginate
from refuge.applications.models import Application
from refuge.applications.queries import applications_of_case
from refuge.cases.access import access_case

router = Router(tags=["applications"])


class ApplicationOut(Schema):
    """What is kept in clear of an application (docs/threat-model.md): never its encrypted folder."""

    id: uuid.UUID
    person_id: uuid.UUID
    pathway_id: int
    pathway_country: str
    pathway_name: str
    status: str
    # The first day of the month, never the day.
    submitted_month: datetime.date | None
    decided_month: datetime.date | None


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


def application_out(application: Application) -> ApplicationOut:
    return ApplicationOut(
        id=application.pk,
        person_id=application.person_id,
        pathway_id=application.pathway_id,
        pathway_country=application.pathway.country,
        pathway_name=application.pathway.name,
        status=application.status,
        submitted_month=application.submitted_month,
        decided_month=application.decided_month,
    )


@router.get(
    "/cases/{uuid:case_id}/applications",
    response={200: Page[ApplicationOut], **READ_ERRORS},
    url_name="case_applications",
    summary="A case's applications",
)
def list_applications(request: HttpRequest, case_id: uuid.UUID, query: Query[PageQuery]) -> Page[ApplicationOut]:
    """The case's applications for its team: pathway, status and months, nothing encrypted."""
    who = caller(request, Scope.CASES_READ, PageQuery.model_fields)
    case = access_case(who.member, case_id).case
    return paginate(applications_of_case(case), query.page, query.per_page, application_out)
