"""Messages between a requester and the team, and declining a request."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record, record_requester_act
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.intake import notify
from refuge.intake.actions.common import store_file, this_hour
from refuge.intake.actions.status import do_set_status
from refuge.intake.models import HelpRequest, MergedRequest, RequesterStatus, RequestMessage
from refuge.intake.unordered import insert_unordered
from refuge.intake.uploads import CleanUpload
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import Key
from refuge.keyring.records import encrypt_column

MAX_MESSAGE_CHARS = 10_000
# Requester messages per request per hour: enough to talk, too few to flood a team.
MAX_REQUESTER_MESSAGES_PER_HOUR = 20
MAX_FILES_PER_REQUEST = 30


def do_requester_message(
    *, request: HelpRequest, secret: bytes, body: str, uploads: Sequence[CleanUpload] = ()
) -> RequestMessage:
    """A message (and files) from the requester, who proved the receipt to get `secret`."""
    body = (body or "").strip()
    if not body and not uploads:
        raise UserError("empty_message", _("Write a message or choose a file."), field="body")
    if len(body) > MAX_MESSAGE_CHARS:
        raise UserError("message_too_long", _("The message is too long: at most 10,000 characters."), field="body")
    with transaction.atomic():
        locked = HelpRequest.objects.select_for_update().select_related("key").get(pk=request.pk)
        recent = locked.messages.filter(from_requester=True, created_at__gte=this_hour()).count()
        if recent >= MAX_REQUESTER_MESSAGES_PER_HOUR:
            raise UserError(
                "too_many_messages", _("You have sent many messages this hour. Please wait a little and try again.")
            )
        if locked.files.count() + len(uploads) > MAX_FILES_PER_REQUEST:
            raise UserError(
                "too_many_files", _("This request already has as many files as it can hold."), field="files"
            )
        message = _new_message(locked, locked.key, secret, body, from_requester=True, author=None)
        for upload in uploads:
            store_file(locked, locked.key, secret, upload, message=message)
        locked.awaiting_team = True
        locked.last_activity_at = this_hour()
        locked.save(update_fields=["awaiting_team", "last_activity_at"])
        # Merged into another request (or attached to a case through it): that one shows the wait.
        HelpRequest.objects.filter(pk__in=MergedRequest.objects.filter(request=locked).values("into_id")).update(
            awaiting_team=True, last_activity_at=locked.last_activity_at
        )
        # Held to the hour and chained after the hour ends, never stamped to the second.
        record_requester_act(
            AuditEvent.REQUESTER_MESSAGE_RECEIVED,
            organisation_id=locked.organisation_id,
            object_type="request",
            object_id=locked.id,
        )
        notify.requester_message(locked.organisation_id)
    return message


def _new_message(
    request: HelpRequest, key: Key, secret: bytes, body: str, *, from_requester: bool, author: User | None
) -> RequestMessage:
    # Callers hold the request row locked, so positions cannot collide.
    position = request.messages.count()
    message = RequestMessage(
        request=request,
        key=key,
        from_requester=from_requester,
        author=author,
        created_at=this_hour(),
        position=position,
    )
    encrypt_column(message, "body", body, secret, key)
    if from_requester:
        # Team replies go in this table too: the requester's row takes a place that orders nothing.
        insert_unordered(message)
    else:
        message.save(force_insert=True)
    return message


def do_reply(*, actor: User, keyring: Keyring, request: HelpRequest, body: str) -> RequestMessage:
    """A team member's reply: readable by the requester and the team only."""
    body = (body or "").strip()
    if not body:
        raise UserError("empty_message", _("Write a reply first."), field="body")
    if len(body) > MAX_MESSAGE_CHARS:
        raise UserError("message_too_long", _("The message is too long: at most 10,000 characters."), field="body")
    with transaction.atomic():
        locked = HelpRequest.objects.select_for_update().select_related("key").get(pk=request.pk)
        secret = keyring.secret_for(locked.key)
        message = _new_message(locked, locked.key, secret, body, from_requester=False, author=actor)
        locked.awaiting_team = False
        if locked.status in {RequesterStatus.RECEIVED, RequesterStatus.REVIEWING}:
            locked.status = RequesterStatus.REPLIED
        locked.last_activity_at = this_hour()
        locked.save(update_fields=["awaiting_team", "status", "last_activity_at"])
        record(
            AuditEvent.REQUEST_REPLIED,
            actor_id=actor.id,
            organisation_id=locked.organisation_id,
            object_type="request",
            object_id=locked.id,
        )
    return message


def do_decline(*, actor: User, keyring: Keyring, request: HelpRequest, message: str) -> None:
    """Decline a request: a kind message and the "not able to help" status, together or not at all.

    Requests merged into it (refuge/intake/merge.py) are the same person's: each is declined with it.
    """
    with transaction.atomic():
        merged = HelpRequest.objects.filter(
            pk__in=MergedRequest.objects.filter(into=request).values("request_id")
        ).exclude(status__in=[RequesterStatus.ACCEPTED, RequesterStatus.DECLINED])
        for one in [request, *merged.select_related("key")]:
            do_reply(actor=actor, keyring=keyring, request=one, body=message)
            do_set_status(actor=actor, request=one, status=RequesterStatus.DECLINED)
