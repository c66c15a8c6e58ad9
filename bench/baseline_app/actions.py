"""The baseline's one write: the portal's request with encryption switched off.

Everything else is the portal's own flow (refuge/requester/actions.py): the flood
brake, the one-time form token spent in the same transaction, an audit entry and the
content-free notice after commit. What is left out is all the cryptography of
`refuge.intake.actions.do_submit_request`: no record key sealed to the intake group,
the requester and recovery (and its KEY_CREATED audit entry), no AEAD of the
answers, no keyed hash of the receipt, no blind indexes.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from bench.baseline_app.models import PlainRequest
from refuge.accounts.models import Organisation
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import new_receipt
from refuge.intake import notify
from refuge.intake.actions.common import this_hour
from refuge.requester.actions import ALREADY_SENT_REQUEST, _spend_form_token
from refuge.requester.limits import submissions


def do_send_plain_request(
    *, organisation: Organisation, token_digest: str, answers: dict[str, Any], urgency: str, language: str
) -> str:
    """Store the answers in clear in one row plus an audit entry, in one transaction; return the receipt."""
    if not submissions.allow(organisation.pk):
        raise UserError("busy", _("We are receiving many requests right now. Please try again in a minute."))
    # The same random code as the portal shows (100 random bits), used as it is: nothing is derived from it.
    receipt = new_receipt()
    with transaction.atomic():
        _spend_form_token(token_digest, ALREADY_SENT_REQUEST)
        request = PlainRequest.objects.create(
            organisation=organisation,
            receipt=receipt,
            content=json.dumps(answers, ensure_ascii=False),
            urgency=urgency,
            language=language,
            received_at=this_hour(),
        )
        record(
            AuditEvent.REQUEST_RECEIVED,
            actor_id=None,
            organisation_id=organisation.id,
            object_type="request",
            object_id=request.id,
        )
        transaction.on_commit(lambda: notify.new_request(organisation.id))
    return receipt
