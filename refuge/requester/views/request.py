"""The requester's own request page: status, the conversation, and a reply form."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.core.request_body import body_error, shows_body_errors
from refuge.disclosures.portal import do_answer_consent
from refuge.intake.access import RequesterAccess
from refuge.intake.queries import read_files, read_messages
from refuge.intake.uploads.handler import memory_uploads
from refuge.requester.actions import do_send_message
from refuge.requester.forms import ReceiptForm, ReplyForm
from refuge.requester.session import (
    PortalSession,
    forget_portal_cookie,
    keep_portal_session,
    open_portal_session,
)
from refuge.requester.views.common import file_note, portal_view, render_portal
from refuge.requester.views.consent import consent_questions


@portal_view
@memory_uploads
@shows_body_errors
@sensitive_post_parameters()
@sensitive_variables()
def request_view(request: HttpRequest, sent: bool = False, answered: bool = False) -> HttpResponse:
    session = open_portal_session(request)
    if session is None:
        return session_ended(request)
    posted = request.method == "POST"
    form = ReplyForm(request.POST if posted else None, request.FILES if posted else None)
    refused = body_error(request)
    if refused is not None:
        add_user_error(form, refused)  # the message typed comes back; nothing is sent
    if posted and form.is_valid():
        try:
            do_send_message(
                request=session.request,
                secret=session.secret,
                token_digest=form.token_digest(),
                body=form.cleaned_data["body"],
                uploads=form.cleaned_data["files"],
            )
        except UserError as error:
            add_user_error(form, error)
        else:
            response = redirect("requester:request_sent")
            keep_portal_session(response, session)
            return response
    return render_request_page(request, session, form, sent=sent, answered=answered)


@sensitive_variables()
def render_request_page(
    request: HttpRequest,
    session: PortalSession | RequesterAccess,
    form: ReplyForm,
    *,
    sent: bool = False,
    unsent: bool = False,
    answered: bool = False,
    consent_error: str = "",
) -> HttpResponse:
    """The page, with the session renewed: it lasts as long as the requester keeps using it."""
    conversation = [
        (shown, [file_note(f.name, f.removed) for f in shown.files])
        for shown in read_messages(session.request, session.secret)
    ]
    # Files sent with the request itself belong to no message.
    first_files = [
        file_note(f.name, f.removed) for f in read_files(session.request, session.secret) if f.file.message_id is None
    ]
    context = {
        "consent_questions": consent_questions(session.request, session.secret),
        "help_request": session.request,
        "first_files": first_files,
        "conversation": conversation,
        "form": form,
        "sent": sent,
        "unsent": unsent,
        "answered": answered,
        "consent_error": consent_error,
    }
    status = 400 if form.errors or consent_error else 200
    response = render_portal(request, "requester/request.html", context, status=status)
    keep_portal_session(response, session)
    return response


@sensitive_variables()
def session_ended(request: HttpRequest) -> HttpResponse:
    """Back to "enter your receipt"; a message that could not be sent is kept, not lost."""
    unsent = request.POST.get("body", "") if request.method == "POST" else ""
    form = ReceiptForm(initial={"body": unsent[:10_000]})
    notice = _("Your message has not been sent yet: enter your receipt, then send it.") if unsent.strip() else ""
    response = render_portal(request, "requester/status.html", {"form": form, "ended": True, "notice": notice})
    forget_portal_cookie(response)
    return response


@portal_view
@require_POST
def consent_view(request: HttpRequest) -> HttpResponse:
    session = open_portal_session(request)
    if session is None:
        return redirect("requester:status")
    answer = request.POST.get("answer", "")
    try:
        if answer not in ("yes", "no"):
            raise UserError("no_answer", _("Choose yes or no."))
        do_answer_consent(request=session.request, question_id=request.POST.get("question", ""), agreed=answer == "yes")
    except UserError as error:
        return render_request_page(request, session, ReplyForm(), consent_error=str(error.message))
    response = redirect("requester:request_answered")
    keep_portal_session(response, session)
    return response
