"""Submissions: a new request, encrypted before its short transaction of INSERTs.

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
from typing import Any

from django.conf import settings
from django.db import transaction

from refuge.accounts.models import Organisation
from refuge.audit.actions import record_requester_act
from refuge.audit.events import AuditEvent
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
from refuge.intake.actions.common import encrypted_file, this_hour
from refuge.intake.models import HelpRequest, RequestFile, RequestIndex
from refuge.intake.unordered import store_key_unordered
from refuge.intake.uploads import CleanUpload
from refuge.keyring.actions.keys import NewKey, prepare_key
from refuge.keyring.models import HolderKind, Key, Purpose
from refuge.keyring.records import (
    encrypt_column,
    group_key_unchanged,
    intake_group_key,
    intake_keys,
)
from refuge.keyring.wraps import group_wrap

_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# Which answers feed which blind index, and how each is normalised first.
INDEXED_FIELDS = {
    "name": normalise_name,
    "phone": normalise_phone,
    "document_number": normalise_document_number,
}


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
    files = [encrypted_file(request, key, secret, upload, message=None) for upload in uploads]
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
    _insert_with_free_reference(request)
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
    # 30 bits: short enough for staff to say aloud; a reference already taken is drawn again.
    return "R-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


# A drawn reference is taken with chance (stored requests) / 2**30: 0.1 % at a million
# requests, so REFERENCE_DRAWS taken in a row (10**-30 there) means something else is wrong.
REFERENCE_DRAWS = 10


def _insert_with_free_reference(request: HelpRequest) -> None:
    """INSERT the request, drawing its reference again while the one it has is taken.

    The unique index decides (no read first): two submissions racing for one reference
    cannot both pass a check, and a taken one costs a redraw, not the requester's submission.
    """
    for _draw in range(REFERENCE_DRAWS):
        if insert_new_rows([request], unless_taken="reference"):
            return
        request.reference = _new_reference()
    raise RuntimeError(f"{REFERENCE_DRAWS} request references in a row were taken")
