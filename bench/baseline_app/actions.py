"""The baseline's one write: the portal's request with encryption switched off.

Everything else is the portal's own flow (refuge/requester/actions.py): the flood
brake, the blind indexes (the same keyed hashes, stored in the row), the queue for
SQLite's write lock, the one-time form token spent in the same transaction, the
request's audit entry held to its hour and the content-free notice owed in the same
transaction, as `store_submission` does. What is left out is the encryption of
`refuge.intake.actions.submissions`: no keyed hash of the receipt into a lookup id and
keypair, no record key sealed to the intake group, the requester and recovery, no AEAD
of the answers, no key rows.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction

from bench.baseline_app.models import PlainRequest
from refuge.accounts.models import Organisation
from refuge.audit.actions import record_requester_act
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.core.rows import insert_new_rows
from refuge.core.write_queue import queued_write
from refuge.crypto import blind_index, new_receipt
from refuge.intake import notify
from refuge.intake.actions.common import this_hour
from refuge.intake.actions.submissions import _normalised_identifiers
from refuge.keyring.records import blind_index_secrets
from refuge.requester.actions import ALREADY_SENT_REQUEST, BUSY, _spend_form_token
from refuge.requester.limits import submissions


def do_send_plain_request(
    *, organisation: Organisation, token_digest: str, answers: dict[str, Any], urgency: str, language: str
) -> str:
    """Store the answers in clear in one row plus an audit entry, in one transaction; return the receipt."""
    if not submissions.allow_before(organisation.pk):
        raise UserError("busy", BUSY)
    # The same random code as the portal shows (100 random bits), used as it is: nothing is derived from it.
    receipt = new_receipt()
    wanted = _normalised_identifiers(answers)
    secrets = blind_index_secrets(organisation, wanted)
    indexes = {name: blind_index(secrets[name], name, value) for name, value in wanted.items()}
    request = PlainRequest(
        organisation=organisation,
        receipt=receipt,
        content=json.dumps(answers, ensure_ascii=False),
        urgency=urgency,
        language=language,
        received_at=this_hour(),
        indexes=indexes,
    )
    with queued_write(), transaction.atomic():
        if not submissions.allow_within(organisation.pk):
            raise UserError("busy", BUSY)
        _spend_form_token(token_digest, ALREADY_SENT_REQUEST)
        insert_new_rows([request])
        record_requester_act(
            AuditEvent.REQUEST_RECEIVED, organisation_id=organisation.id, object_type="request", object_id=request.id
        )
        notify.new_request(organisation.id)
    return receipt
