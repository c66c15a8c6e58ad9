"""The intake inbox: open requests as a list or in groups that look alike, and declining many at once.

Intake members and coordinators only. The plain list decrypts nothing; the grouped views
decrypt the stories they group (each read audited, nothing stored). Under a flood a
member ticks the requests of a large group and declines them with one form
(refuge/intake/bulk.py); every intake page shows the surge banner (refuge/intake/surge.py).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.reads import OtherRequest, other_requests
from refuge.intake.access import access_requests, can_read_requests
from refuge.intake.bulk import MAX_BULK_DECLINE, do_bulk_decline
from refuge.intake.models import HelpRequest
from refuge.intake.queries import duplicates_of_page, inbox
from refuge.intake.reads import LARGE_GROUP, MAX_GROUPED, open_inbox_groups
from refuge.intake.surge import surge_of
from refuge.workspace.decorators import Refusal, StaffRequest, staff_view
from refuge.workspace.forms_intake import BulkDeclineForm, InboxViewForm
from refuge.workspace.submit import submit

PAGE_SIZE = 50


@dataclass(frozen=True)
class InboxRow:
    request: HelpRequest
    duplicates: list[OtherRequest]
    # Ticked for the bulk decline form: a large group's rows start ticked, or as the member sent them.
    ticked: bool = False


def _union(lists: Iterable[list[HelpRequest]]) -> list[HelpRequest]:
    seen: dict[uuid.UUID, HelpRequest] = {}
    for requests in lists:
        for other in requests:
            seen.setdefault(other.pk, other)
    return list(seen.values())


@dataclass(frozen=True)
class InboxGroup:
    rows: list[InboxRow]

    @property
    def large(self) -> bool:
        return len(self.rows) >= LARGE_GROUP


def intake_context(member: User) -> dict[str, Any]:
    """What every intake page adds: the surge banner."""
    return {"surge": surge_of(member.organisation_id)}


@staff_view()
def inbox_view(request: StaffRequest) -> HttpResponse:
    form = InboxViewForm(request.GET)
    return _render_inbox(request, form.chosen(), form)


def _render_inbox(
    request: StaffRequest,
    show: str,
    view_form: InboxViewForm,
    bulk_form: BulkDeclineForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.member
    if not can_read_requests(user):
        raise Http404
    # After a refused bulk decline, the boxes stay as the member ticked them.
    ticked = _ticked(request.POST) if bulk_form is not None else None
    context: dict[str, Any] = intake_context(user) | {
        "view_form": view_form,
        "show": show,
        "large_group": LARGE_GROUP,
        "bulk_form": bulk_form or BulkDeclineForm(initial={"show": show}),
    }
    if show == InboxViewForm.LIST:
        page = Paginator(inbox(user.organisation), PAGE_SIZE).get_page(request.GET.get("page"))
        context |= {"page": page, "rows": _rows(user, list(page), ticked, default=False)}
        return render(request, "workspace/intake/inbox.html", context, status=status)
    # Grouping reads every story it groups: decrypted here, audited, and kept nowhere.
    grouped = open_inbox_groups(user, request.keyring)
    groups = [InboxGroup(_rows(user, group, ticked, default=len(group) >= LARGE_GROUP)) for group in grouped.groups]
    if show == InboxViewForm.APART:
        # Back in inbox order (most urgent, oldest first): what stands apart from the flood.
        apart = [row for group in groups if not group.large for row in group.rows]
        context["rows"] = sorted(apart, key=lambda row: grouped.place[row.request.pk])
        context["hidden"] = sum(len(group.rows) for group in groups if group.large)
    else:
        context["groups"] = groups
    context |= {"left_out": grouped.left_out, "unopened": grouped.unopened, "max_grouped": MAX_GROUPED}
    return render(request, "workspace/intake/inbox.html", context, status=status)


def _ticked(data: QueryDict) -> set[uuid.UUID]:
    """The ids the member ticked, as sent (a refused form's cleaned data may have lost them)."""
    ticked = set()
    for value in data.getlist("requests")[:MAX_BULK_DECLINE]:
        with contextlib.suppress(ValueError):
            ticked.add(uuid.UUID(str(value)))
    return ticked


def _rows(user: User, requests: list[HelpRequest], ticked: set[uuid.UUID] | None, *, default: bool) -> list[InboxRow]:
    # Blind indexes only: finding duplicates decrypts nothing.
    duplicates = duplicates_of_page(requests)
    named = {shown.request.pk: shown for shown in other_requests(user, _union(duplicates.values()))}
    return [
        InboxRow(
            help_request,
            [named[other.pk] for other in duplicates[help_request.pk]],
            default if ticked is None else help_request.pk in ticked,
        )
        for help_request in requests
    ]


def _inbox_refused(request: StaffRequest, refusal: Refusal, **_rest: Any) -> HttpResponse:
    """A bulk decline refused by the boundary (a request whose key this member does not hold): nothing written."""
    messages.error(request, refusal.message)
    return _render_inbox(request, InboxViewForm.LIST, InboxViewForm(), status=refusal.status)


@require_POST
@staff_view(page=_inbox_refused)
def bulk_decline_view(request: StaffRequest) -> HttpResponse:
    """Decline every ticked request with one form: each as on its own page, all or none."""
    if not can_read_requests(request.member):
        raise Http404
    form = BulkDeclineForm(request.POST)
    view_form = InboxViewForm({"show": request.POST.get("show", "")})
    show = view_form.chosen()
    # Every ticked id must be a request of the member's organisation: else the same 404 as any other.
    chosen = access_requests(request.member, form.cleaned_data["requests"]) if form.is_valid() else []

    def act(data: dict[str, Any]) -> int:
        return do_bulk_decline(actor=request.member, keyring=request.keyring, requests=chosen, message=data["message"])

    done = submit(form, act)
    if done is None:
        return _render_inbox(request, show, view_form, form, status=400)
    declined = done.value
    messages.success(
        request,
        ngettext(
            "%(counter)s request is declined and its requester told, as with a single decline.",
            "%(counter)s requests are declined and each requester told, as with a single decline.",
            declined,
        )
        % {"counter": declined},
    )
    return redirect(f"{reverse('workspace:intake_inbox')}?show={show}")
