"""Attaching a request to a case (from the request's page or its duplicate hint) and answering it from the case."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.attach import (
    access_attached_request,
    do_attach_request,
    do_message_attached_requester,
    find_case_to_attach,
)
from refuge.cases.models import Case
from refuge.intake.models import HelpRequest
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_attach import AttachedReplyForm, AttachForm
from refuge.workspace.views.cases import Build, act_on_case, case_post
from refuge.workspace.views.intake import act_on_request, request_page


@require_POST
@staff_view(page=request_page)
def attach_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        case = find_case_to_attach(user, data["case"])
        do_attach_request(actor=user, keyring=request.keyring, case=case, request=help_request)

    done = _(
        "The request is attached to the case: its team holds its key and reads it there, and its requester "
        "sees “Accepted”. Their receipt still opens it, and what they write reaches the case."
    )
    return act_on_request(request, request_id, AttachForm(request.POST), "attach_form", act, done)


@case_post
def attached_reply_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        attached = access_attached_request(case, data["request"])
        do_message_attached_requester(
            actor=user, keyring=request.keyring, case=case, request=attached, body=data["body"]
        )

    done = _("Your message is sent. The requester reads it the next time they open their request.")
    build: Build = lambda case: AttachedReplyForm(request.POST, prefix="attached")  # noqa: E731
    return act_on_case(request, case_id, "attached_form", build, act, done, "attached")
