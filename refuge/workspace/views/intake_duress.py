"""The empty duress version of the intake inbox (refuge/workspace/duress.py): no request, nothing decrypted."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import User
from refuge.intake.access import can_read_requests
from refuge.intake.models import HelpRequest
from refuge.intake.reads import LARGE_GROUP, MAX_GROUPED
from refuge.workspace.duress import PAGE_SIZE, EmptyPage, register_empty_page
from refuge.workspace.forms_intake import InboxViewForm


def _inbox(request: HttpRequest, user: User) -> HttpResponse:
    page = Paginator(HelpRequest.objects.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    # The same "Show" choice as the real inbox, over nothing: no request is decrypted or grouped.
    form = InboxViewForm(request.GET)
    context = {"view_form": form, "show": form.chosen(), "large_group": LARGE_GROUP, "max_grouped": MAX_GROUPED}
    return render(request, "workspace/intake/inbox.html", {**context, "page": page, "rows": []})


def register() -> None:
    register_empty_page(EmptyPage("workspace:intake_inbox", _inbox, can_read_requests))
