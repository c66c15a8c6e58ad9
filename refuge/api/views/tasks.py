"""A case's tasks: listed (cases:read), added and marked done (cases:write)."""

import uuid

from django.http import Http404, HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from refuge.accounts.api_tokens import Scope
from refuge.accounts.models import User
from refuge.api.auth import Caller, caller
from refuge.api.errors import READ_ERRORS, WRITE_ERRORS
from refuge.api.schemas import MAX_PAGE, MAX_PER_PAGE, Page, TaskIn, TaskOut
from refuge.api.views import paginate
from refuge.cases.access import access_case, access_task, access_team_member
from refuge.cases.actions.tasks import do_add_task, do_complete_task
from refuge.cases.models import Case, Task
from refuge.cases.reads import open_case_page
from refuge.core.errors import UserError

router = Router(tags=["tasks"])


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


def task_out(task: Task, title: str | None) -> TaskOut:
    return TaskOut(
        id=task.pk,
        kind=task.kind,
        title=title,
        due_on=task.due_on,
        done_on=task.done_on,
        owner_id=task.owner_id,
        created_on=task.created_on,
    )


def _titles(who: Caller, case: Case) -> dict[uuid.UUID, str]:
    """Task titles, if the request unlocked the member's keys (the read is audited); else none."""
    if not who.keyring.unlocked:
        return {}
    page = open_case_page(who.member, who.keyring, case.pk)
    return {shown.row.pk: shown.text for shown in page.content.tasks} if page.content else {}


@router.get(
    "/cases/{uuid:case_id}/tasks",
    response={200: Page[TaskOut], **READ_ERRORS},
    url_name="case_tasks",
    summary="A case's tasks",
)
def list_tasks(request: HttpRequest, case_id: uuid.UUID, query: Query[PageQuery]) -> Page[TaskOut]:
    """Open tasks first, then by due date; titles only with unlocked keys (team members)."""
    who = caller(request, Scope.CASES_READ, PageQuery.model_fields)
    case = access_case(who.member, case_id).case
    titles = _titles(who, case)
    return paginate(case.tasks.all(), query.page, query.per_page, lambda task: task_out(task, titles.get(task.pk)))


def _owner(case: Case, owner_id: uuid.UUID | None) -> User | None:
    if owner_id is None:
        return None
    try:
        return access_team_member(case, owner_id).user
    except Http404:
        raise UserError("owner_not_on_team", _("Tasks go to members of the case's team."), field="owner_id") from None


@router.post(
    "/cases/{uuid:case_id}/tasks",
    response={201: TaskOut, **WRITE_ERRORS},
    url_name="case_task_add",
    summary="Add a task to a case",
)
def add_task(request: HttpRequest, case_id: uuid.UUID, task: TaskIn) -> Status:
    """A task or appointment for the case's team (keys unlocked: its title is encrypted)."""
    who = caller(request, Scope.CASES_WRITE)
    case = access_case(who.member, case_id).case
    made = do_add_task(
        actor=who.member,
        keyring=who.keyring,
        case=case,
        title=task.title,
        due_on=task.due_on,
        owner=_owner(case, task.owner_id),
        kind=task.kind,
    )
    return Status(201, task_out(made, task.title))


@router.post(
    "/cases/{uuid:case_id}/tasks/{uuid:task_id}/done",
    response={200: TaskOut, **WRITE_ERRORS},
    url_name="case_task_done",
    summary="Mark a task done",
)
def complete_task(request: HttpRequest, case_id: uuid.UUID, task_id: uuid.UUID) -> TaskOut:
    """Mark one of the case's tasks done (keys unlocked: the timeline entry is encrypted)."""
    who = caller(request, Scope.CASES_WRITE)
    case = access_case(who.member, case_id).case
    task = access_task(case, task_id)
    do_complete_task(actor=who.member, keyring=who.keyring, task=task)
    return task_out(task, None)
