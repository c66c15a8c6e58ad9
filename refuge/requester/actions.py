"""The portal's writes: a request or a message, each sent at most once per form.

Each wraps one intake action and records the form's one-time token in the same
transaction (refuge/requester/form_tokens.py): if the write fails, the token is
not spent; if the token was spent, nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Organisation
from refuge.core.errors import UserError
from refuge.intake.actions import Submission, do_requester_message, do_submit_request, this_hour
from refuge.intake.models import HelpRequest, RequestMessage
from refuge.intake.uploads import CleanUpload
from refuge.requester.form_tokens import FORM_TOKEN_HOURS
from refuge.requester.limits import submissions
from refuge.requester.models import UsedFormNonce

ALREADY_SENT_REQUEST = _(
    "This form was already sent, and your receipt was shown then. If you did not see it or did not write it "
    "down, send the form again now: the team will see that both requests belong together."
)
ALREADY_SENT_MESSAGE = _("This message was already sent. You can see it in the conversation below.")


def _spend_form_token(digest: str, already_sent: Promise) -> None:
    """Record the token, or refuse if it was used before (inside the caller's transaction)."""
    now = this_hour()
    # Tokens older than this are refused by their signature, so their rows can go.
    UsedFormNonce.objects.filter(used_at__lt=now - timedelta(hours=FORM_TOKEN_HOURS + 1)).delete()
    _, created = UsedFormNonce.objects.get_or_create(digest=digest, defaults={"used_at": now})
    if not created:
        raise UserError("form_already_sent", already_sent)


def do_send_request(
    *,
    organisation: Organisation,
    token_digest: str,
    answers: dict[str, Any],
    urgency: str,
    language: str,
    uploads: Sequence[CleanUpload] = (),
) -> Submission:
    """A request from the portal form, refused if this form was already sent or the portal is flooded."""
    if not submissions.allow(organisation.pk):
        raise UserError("busy", _("We are receiving many requests right now. Please try again in a minute."))
    with transaction.atomic():
        _spend_form_token(token_digest, ALREADY_SENT_REQUEST)
        return do_submit_request(
            organisation=organisation, answers=answers, urgency=urgency, language=language, uploads=uploads
        )


def do_send_message(
    *, request: HelpRequest, secret: bytes, token_digest: str, body: str, uploads: Sequence[CleanUpload] = ()
) -> RequestMessage:
    """A requester's message from the portal, refused if this form was already sent."""
    with transaction.atomic():
        _spend_form_token(token_digest, ALREADY_SENT_MESSAGE)
        return do_requester_message(request=request, secret=secret, body=body, uploads=uploads)
