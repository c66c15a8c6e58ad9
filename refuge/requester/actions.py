"""The portal's writes: a request or a message, each sent at most once per form.

Each wraps one intake action and records the form's one-time token in the same
transaction (refuge/requester/form_tokens.py): if the write fails, the token is
not spent; if the token was spent, nothing is written.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Organisation
from refuge.core.errors import UserError
from refuge.core.write_queue import queued_write
from refuge.intake.actions.common import this_hour
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import Submission, prepare_submission, store_submission
from refuge.intake.models import HelpRequest, RequestMessage, new_portal_epoch
from refuge.intake.uploads import CleanUpload
from refuge.requester.form_tokens import FORM_TOKEN_HOURS
from refuge.requester.limits import submissions
from refuge.requester.models import UsedFormNonce

ALREADY_SENT_REQUEST = _(
    "This form was already sent, and your receipt was shown then. If you did not see it or did not write it "
    "down, send the form again now: the team will see that both requests belong together."
)
BUSY = _("We are receiving many requests right now. Please try again in a minute.")
ALREADY_SENT_MESSAGE = _("This message was already sent. You can see it in the conversation below.")


# Rows of tokens too old to be accepted are deleted at most this often per process: the
# purge is housekeeping (an expired token is refused by its signature, row or not), so it
# need not cost every submission a DELETE inside the write transaction.
PURGE_EVERY_SECONDS = 600.0
_next_purge = 0.0
_SPEND_SQL = "INSERT INTO requester_usedformnonce (digest, used_at) VALUES (%s, %s) ON CONFLICT (digest) DO NOTHING"


def _spend_form_token(digest: str, already_sent: Promise) -> None:
    """Record the token, or refuse if it was used before (inside the caller's transaction)."""
    global _next_purge
    now = this_hour()
    if time.monotonic() >= _next_purge:
        _next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        # Tokens older than this are refused by their signature, so their rows can go.
        UsedFormNonce.objects.filter(used_at__lt=now - timedelta(hours=FORM_TOKEN_HOURS + 1)).delete()
    # The unique digest decides: a second copy inserts nothing (no read first, so two copies
    # racing on PostgreSQL cannot both pass a check; the second waits for the first to commit).
    # Plain SQL: ON CONFLICT DO NOTHING needs no savepoint, and this runs on every form sent.
    used_at = UsedFormNonce._meta.get_field("used_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(_SPEND_SQL, [digest, used_at])
        inserted = cursor.rowcount
    if inserted != 1:
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
    if not submissions.allow_before(organisation.pk):
        raise UserError("busy", BUSY)
    # The crypto and the reads first: the transaction below only writes (refuge/intake/actions/submissions.py).
    prepared = prepare_submission(
        organisation=organisation, answers=answers, urgency=urgency, language=language, uploads=uploads
    )
    # In line for SQLite's write lock (refuge/core/write_queue.py), then a transaction of INSERTs.
    with queued_write(), transaction.atomic():
        # The flood brake's count on SQLite (limits.py): one turn of the write lock per submission.
        if not submissions.allow_within(organisation.pk):
            raise UserError("busy", BUSY)
        _spend_form_token(token_digest, ALREADY_SENT_REQUEST)
        return store_submission(prepared)


def do_send_message(
    *, request: HelpRequest, secret: bytes, token_digest: str, body: str, uploads: Sequence[CleanUpload] = ()
) -> RequestMessage:
    """A requester's message from the portal, refused if this form was already sent."""
    with queued_write(), transaction.atomic():
        _spend_form_token(token_digest, ALREADY_SENT_MESSAGE)
        return do_requester_message(request=request, secret=secret, body=body, uploads=uploads)


def do_end_portal_sessions(*, request: HelpRequest) -> None:
    """End every portal session of a request: each cookie issued before stops opening.

    Not audited: the audit log must not carry the time of a requester's act (the
    threat model keeps requester times to the hour).
    """
    with transaction.atomic():
        HelpRequest.objects.filter(pk=request.pk).update(portal_epoch=new_portal_epoch())
