"""The portal's request form (refuge/requester/views/ask.py), calling the plaintext action instead."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from bench.baseline_app.actions import do_send_plain_request
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.intake.uploads.handler import memory_uploads
from refuge.requester.access import access_portal_organisation
from refuge.requester.forms import RequestForm
from refuge.requester.queries import portal_questions
from refuge.requester.views.common import portal_view, render_portal
from refuge.requester.views.pages import render_blank_form, render_receipt


@portal_view
@memory_uploads
@sensitive_post_parameters()
@sensitive_variables()
def plain_ask_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    organisation = access_portal_organisation(org_slug)
    questions = portal_questions(organisation)
    if request.method != "POST":
        # The same kept page as the portal's (refuge/requester/views/pages.py): the baseline
        # differs from the encrypted flow in its cryptography only.
        return render_blank_form(request, organisation, questions, lambda: RequestForm(questions=questions))
    form = RequestForm(request.POST, request.FILES, questions=questions)
    if form.is_valid():
        try:
            receipt = do_send_plain_request(
                organisation=organisation,
                token_digest=form.token_digest(),
                answers=form.answers(),
                urgency=form.cleaned_data["urgency"],
                language=(get_language() or "en")[:8],
            )
        except UserError as error:
            add_user_error(form, error)
        else:
            return render_receipt(request, organisation, receipt)
    context = {"organisation": organisation, "form": form}
    return render_portal(request, "requester/ask.html", context, status=400 if form.errors else 200)
