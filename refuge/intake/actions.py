"""Every write of the intake: submissions, requester messages, team replies, status.

The flow at submission (DESIGN.md §5, docs/keys.md): a fresh record key encrypts
the request; it is sealed to the organisation's intake group key, to the public
key derived from the requester's receipt and to the recovery key. The receipt is
shown once and never stored; after the response the server can read nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Organisation, User
from refuge.audit.actions import record, record_requester_act
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.core.rows import insert_new_rows
from refuge.crypto import (
    blind_index,
    derive_receipt_secrets,
    new_receipt,
    normalise_document_number,
    normalise_name,
    normalise_phone,
)
from refuge.intake import notify
from refuge.intake.access import can_read_requests
from refuge.intake.models import (
    HelpRequest,
    MergedRequest,
    RequesterStatus,
    RequestFile,
    RequestIndex,
    RequestLink,
    RequestMessage,
)
from refuge.intake.unordered import store_key_unordered, unorder_rowid
from refuge.intake.uploads import CleanUpload
from refuge.keyring.actions import NewKey, prepare_key
from refuge.keyring.files import encrypt_file_into
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, Purpose
from refuge.keyring.records import (
    encrypt_column,
    group_key_unchanged,
    intake_group_key,
    intake_keys,
)
from refuge.keyring.wraps import group_wrap

MAX_MESSAGE_CHARS = 10_000
# Requester messages per request per hour: enough to talk, too few to flood a team.
MAX_REQUESTER_MESSAGES_PER_HOUR = 20
MAX_FILES_PER_REQUEST = 30
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Which answers feed which blind index, and how each is normalised first.
INDEXED_FIELDS = {
    "name": normalise_name,
    "phone": normalise_phone,
    "document_number": normalise_document_number,
}


def this_hour() -> datetime:
    """Now, rounded down to the hour: requester times are never kept more exactly."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Submission:
    request: HelpRequest
    # Shown to the requester once; nothing from which it can be rebuilt is stored.
    receipt: str


@dataclass(frozen=True)
class PreparedSubmission:
    """A request encrypted and ready to store: everything but the INSERTs (`prepare_submission`)."""

    organisation: Organisation
    receipt: str = field(repr=False)
    request: HelpRequest = field(repr=False)
    record_key: NewKey = field(repr=False)
    # The intake group key the record key was sealed to, as read before the transaction.
    group: Key = field(repr=False)
    indexes: list[RequestIndex] = field(repr=False)
    files: list[RequestFile] = field(repr=False)


def do_submit_request(
    *,
    organisation: Organisation,
    answers: dict[str, Any],
    urgency: str,
    language: str,
    uploads: Sequence[CleanUpload] = (),
) -> Submission:
    """Store a new request encrypted so that only intake, the requester and recovery can open it."""
    prepared = prepare_submission(
        organisation=organisation, answers=answers, urgency=urgency, language=language, uploads=uploads
    )
    with transaction.atomic():
        return store_submission(prepared)


def prepare_submission(
    *,
    organisation: Organisation,
    answers: dict[str, Any],
    urgency: str,
    language: str,
    uploads: Sequence[CleanUpload] = (),
) -> PreparedSubmission:
    """Everything a submission computes and reads, done before its transaction begins.

    The receipt and what is derived from it, the blind indexes, the record key sealed to
    the intake group, the requester and recovery, the encrypted answers and files: all
    of it is CPU work and reads, so the transaction that follows (`store_submission`)
    holds the database's write lock (SQLite) or its row locks (PostgreSQL) only for its
    INSERTs. Nothing here is written; the secrets live in this object until it is stored
    and then go out of scope with it.
    """
    receipt = new_receipt()
    derived = derive_receipt_secrets(receipt, settings.REFUGE_RECEIPT_PEPPER)
    wanted = _normalised_identifiers(answers)
    # One query for the group key and the blind-index keys (each secret opened once per process).
    keys = intake_keys(organisation, wanted)
    group = keys.group
    digests = [(name, blind_index(keys.blind_index[name], name, value)) for name, value in wanted.items()]
    record_key = prepare_key(
        actor=None,
        organisation=organisation,
        purpose=Purpose.RECORD,
        label="request",
        groups=[group],
        requester_public_key=derived.keypair.public,
    )
    key, secret = record_key.key, record_key.secret
    now = this_hour()
    request = HelpRequest(
        organisation=organisation,
        reference=_new_reference(),
        lookup_id=derived.lookup_id.hex(),
        key=key,
        urgency=urgency,
        language=language,
        received_at=now,
        last_activity_at=now,
    )
    encrypt_column(request, "content", json.dumps(answers, ensure_ascii=False), secret, key)
    indexes = [
        RequestIndex(request=request, organisation=organisation, field=name, digest=digest) for name, digest in digests
    ]
    files = [_encrypted_file(request, key, secret, upload, message=None) for upload in uploads]
    return PreparedSubmission(organisation, receipt, request, record_key, group, indexes, files)


def store_submission(prepared: PreparedSubmission) -> Submission:
    """Write a prepared submission: INSERTs and one audit entry (inside the caller's transaction)."""
    organisation, request, record_key = prepared.organisation, prepared.request, prepared.record_key
    if not group_key_unchanged(prepared.group):
        # The intake group key was rotated or shredded since it was read: seal to what
        # the group holds now, so intake can still open the request.
        group = intake_group_key(organisation)
        record_key.wraps[:] = [
            group_wrap(record_key.key, record_key.secret, group) if wrap.holder_kind == HolderKind.GROUP else wrap
            for wrap in record_key.wraps
        ]
    # Its audit entry is this request's REQUEST_RECEIVED below (docs/audit.md). Key rows
    # are written by staff acts too: these take places that order nothing (unordered.py).
    store_key_unordered(record_key)
    insert_new_rows([request])
    insert_new_rows(prepared.indexes)
    insert_new_rows(prepared.files)
    # Held to the hour and chained after the hour ends, never stamped to the second.
    record_requester_act(
        AuditEvent.REQUEST_RECEIVED,
        organisation_id=organisation.id,
        object_type="request",
        object_id=request.id,
    )
    # Content-free; owed in this transaction, so exactly when the request is stored.
    notify.new_request(organisation.id)
    return Submission(request=request, receipt=prepared.receipt)


def _normalised_identifiers(answers: dict[str, Any]) -> dict[str, str]:
    """Field → normalised value, for every identifying answer that normalises to something."""
    found = {}
    for name, normalise in INDEXED_FIELDS.items():
        value = answers.get(name)
        if isinstance(value, str) and (normalised := normalise(value)):
            found[name] = normalised
    return found


def _new_reference() -> str:
    # 30 bits: unique enough for staff to say aloud; uniqueness is enforced anyway.
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def _encrypted_file(
    request: HelpRequest, key: Key, secret: bytes, upload: CleanUpload, message: RequestMessage | None
) -> RequestFile:
    """One sanitised upload encrypted in chunks under a fresh file key; not saved yet."""
    stored = RequestFile(
        request=request, message=message, key=key, kind=upload.kind, size=len(upload.data), created_at=this_hour()
    )
    encrypt_file_into(stored, upload.data, upload.name, upload.removed, secret, key)
    return stored


def _store_file(
    request: HelpRequest, key: Key, secret: bytes, upload: CleanUpload, message: RequestMessage | None
) -> RequestFile:
    """Encrypt one sanitised upload in chunks under a fresh file key, and save it."""
    stored = _encrypted_file(request, key, secret, upload, message)
    stored.save(force_insert=True)
    return stored


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
        # Team replies go in this table too: the requester's row takes a place that orders nothing.
        unorder_rowid(message)
        for upload in uploads:
            _store_file(locked, locked.key, secret, upload, message=message)
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


def do_set_status(*, actor: User, request: HelpRequest, status: str) -> None:
    """Change what the requester sees as the state of their request."""
    if status not in RequesterStatus.values:
        raise UserError("bad_status", _("Choose one of the statuses."), field="status")
    with transaction.atomic():
        HelpRequest.objects.filter(pk=request.pk).update(status=status)
        record(
            AuditEvent.REQUEST_STATUS_CHANGED,
            actor_id=actor.id,
            organisation_id=request.organisation_id,
            object_type="request",
            object_id=request.id,
        )
    request.status = status


def do_mark_possible_plant(*, actor: User, request: HelpRequest, suspected: bool) -> None:
    """Flag (or unflag) a request that may come from someone posing as a requester."""
    with transaction.atomic():
        HelpRequest.objects.filter(pk=request.pk).update(possible_plant=suspected)
        record(
            AuditEvent.REQUEST_MARKED_PLANT,
            actor_id=actor.id,
            organisation_id=request.organisation_id,
            object_type="request",
            object_id=request.id,
        )
    request.possible_plant = suspected


# --- links between requests ------------------------------------------------------------------

MAX_LINKS_PER_REQUEST = 20


def _pair(one: HelpRequest, other: HelpRequest) -> tuple[HelpRequest, HelpRequest]:
    return (one, other) if str(one.pk) < str(other.pk) else (other, one)


def _check_may_link(actor: User, request: HelpRequest) -> None:
    if not can_read_requests(actor) or request.organisation_id != actor.organisation_id:
        raise UserError("not_allowed", _("You cannot link requests."))


def _audit_link(event: AuditEvent, actor: User, pair: tuple[HelpRequest, HelpRequest]) -> None:
    # One entry per request: either request's history shows the link, whichever page it was made on.
    for request in pair:
        record(
            event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="request", object_id=request.pk
        )


def find_request_to_link(actor: User, reference: str) -> HelpRequest:
    """The request of the actor's organisation with this reference ("R-7K2M9Q"), or a field error."""
    wanted = reference.strip().upper() if isinstance(reference, str) else ""
    if wanted and not wanted.startswith("R-"):
        wanted = "R-" + wanted
    other = HelpRequest.objects.filter(organisation_id=actor.organisation_id, reference=wanted).first()
    if other is None:
        raise UserError("no_such_request", _("No request of your organisation has this reference."), field="reference")
    return other


def do_link_requests(*, actor: User, request: HelpRequest, other: HelpRequest) -> RequestLink:
    """Link two requests of the organisation (shown on both pages); nothing is copied between them."""
    _check_may_link(actor, request)
    if other.organisation_id != actor.organisation_id:
        raise UserError("no_such_request", _("No request of your organisation has this reference."), field="reference")
    if other.pk == request.pk:
        raise UserError("link_to_itself", _("A request cannot be linked to itself."), field="reference")
    first, second = _pair(request, other)
    with transaction.atomic():
        # Both rows locked in id order, so two members linking the same pair queue up.
        list(HelpRequest.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk"))
        if RequestLink.objects.filter(first=first, second=second).exists():
            raise UserError("already_linked", _("These two requests are already linked."), field="reference")
        for one in (first, second):
            if RequestLink.objects.filter(models.Q(first=one) | models.Q(second=one)).count() >= MAX_LINKS_PER_REQUEST:
                raise UserError(
                    "too_many_links",
                    _("A request can be linked to at most %(limit)s others.") % {"limit": MAX_LINKS_PER_REQUEST},
                    field="reference",
                )
        link = RequestLink.objects.create(
            organisation_id=actor.organisation_id,
            first=first,
            second=second,
            created_by=actor,
            created_on=timezone.localdate(),
        )
        _audit_link(AuditEvent.REQUESTS_LINKED, actor, (first, second))
    return link


def do_unlink_requests(*, actor: User, request: HelpRequest, other: HelpRequest) -> None:
    """Remove the link between two requests, from either one's page."""
    _check_may_link(actor, request)
    first, second = _pair(request, other)
    with transaction.atomic():
        deleted, _rows = RequestLink.objects.filter(
            organisation_id=actor.organisation_id, first=first, second=second
        ).delete()
        if not deleted:
            raise UserError("not_linked", _("These two requests are not linked."))
        _audit_link(AuditEvent.REQUESTS_UNLINKED, actor, (first, second))


def do_record_read(*, actor: User, request: HelpRequest) -> None:
    """Audit that a member decrypted a request (who read what, never what it said)."""
    with transaction.atomic():
        record(
            AuditEvent.REQUEST_OPENED,
            actor_id=actor.id,
            organisation_id=request.organisation_id,
            object_type="request",
            object_id=request.id,
        )


def do_record_reads(*, actor: User, requests: Sequence[HelpRequest]) -> None:
    """Audit that a member decrypted these requests at once (the grouped inbox): one entry each."""
    with transaction.atomic():
        for request in requests:
            record(
                AuditEvent.REQUEST_OPENED,
                actor_id=actor.id,
                organisation_id=request.organisation_id,
                object_type="request",
                object_id=request.id,
            )
