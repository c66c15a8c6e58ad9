"""Merging two requests of one person, from either request's page, and undoing it (refuge/intake/merge.py)."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.intake.actions.links import find_request_to_link
from refuge.intake.merge import do_merge_requests, do_unmerge_request
from refuge.intake.models import HelpRequest
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_intake import MergeForm
from refuge.workspace.views.intake import act_on_request, request_page


@require_POST
@staff_view(page=request_page)
def merge_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        other = find_request_to_link(user, data["reference"])
        if data["direction"] == MergeForm.INTO_OTHER:
            do_merge_requests(actor=user, request=help_request, into=other)
        else:
            do_merge_requests(actor=user, request=other, into=help_request)

    done = _(
        "The requests are merged: the one merged is read, declined and accepted with the one kept. "
        "Nothing was copied, and each requester's receipt still opens their own request."
    )
    return act_on_request(request, request_id, MergeForm(request.POST), "merge_form", act, done)


@require_POST
@staff_view(page=request_page)
def unmerge_view(request: StaffRequest, request_id: uuid.UUID) -> HttpResponse:
    def act(user: User, help_request: HelpRequest, data: dict[str, Any]) -> None:
        do_unmerge_request(actor=user, request=help_request)

    done = _("The merge is undone: this request is on its own again, back in the list of open requests.")
    return act_on_request(request, request_id, forms.Form(request.POST), "unmerge_form", act, done)
