"""Coordinators' settings of their own organisation (today: the mailbox for notices)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from refuge.accounts.actions.credentials import do_set_notification_email
from refuge.accounts.models import Role
from refuge.intake.notify import mail_configured
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_intake import NotificationEmailForm
from refuge.workspace.submit import submit


@staff_view()
def organisation_view(request: StaffRequest) -> HttpResponse:
    user = request.member
    if user.role != Role.COORDINATOR:
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = NotificationEmailForm(data, initial={"email": user.organisation.notification_email})
    act = lambda d: do_set_notification_email(actor=user, email=d["email"])  # noqa: E731
    if data is not None and submit(form, act) is not None:
        messages.success(request, _("The organisation settings are saved."))
        return redirect("workspace:organisation")
    context = {"form": form, "mail_configured": mail_configured()}
    return render(request, "workspace/organisation.html", context, status=400 if form.errors else 200)
