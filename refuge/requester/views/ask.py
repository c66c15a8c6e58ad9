"""An organisation's landing page and its request form; the receipt is the form's answer."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.core.request_body import body_error, shows_body_errors
from refuge.intake.uploads.handler import memory_uploads
from refuge.requester.access import access_portal_organisation
from refuge.requester.actions import do_send_request
from refuge.requester.forms import RequestForm
from refuge.requester.queries import portal_questions
from refuge.requester.views.common import file_note, portal_view, render_portal
from refuge.requester.views.pages import render_blank_form, render_receipt


@portal_view
def landing_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    organisation = access_portal_organisation(org_slug)
    context = {
        "organisation": organisation,
        "answer_days": settings.REFUGE_PORTAL_ANSWER_DAYS,
        "onion_location": settings.REFUGE_ONION_LOCATION,
    }
    return render_portal(request, "requester/landing.html", context)


@portal_view
@memory_uploads
@shows_body_errors
# Everything in this form is about a person at risk: none of it may reach an error report.
@sensitive_post_parameters()
@sensitive_variables()
def ask_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    organisation = access_portal_organisation(org_slug)
    questions = portal_questions(organisation)
    if request.method != "POST":
        return render_blank_form(request, organisation, questions, lambda: RequestForm(questions=questions))
    form = RequestForm(request.POST, request.FILES, questions=questions)
    refused = body_error(request)
    if refused is not None:
        # What arrived before the problem comes back in the form; nothing is sent.
        add_user_error(form, refused)
    if form.is_valid():
        try:
            submission = do_send_request(
                organisation=organisation,
                token_digest=form.token_digest(),
                answers=form.answers(),
                urgency=form.cleaned_data["urgency"],
                language=(get_language() or "en")[:8],
                uploads=form.cleaned_data["files"],
            )
        except UserError as error:
            add_user_error(form, error)
        else:
            # Shown once, in this response only: never in an address, a cookie or a later page.
            files = [file_note(upload.name, upload.removed) for upload in form.cleaned_data["files"]]
            return render_receipt(request, organisation, submission.receipt, files)
    context = {"organisation": organisation, "form": form}
    return render_portal(request, "requester/ask.html", context, status=400 if form.errors else 200)
