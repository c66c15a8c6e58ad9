"""Content-free notices to the organisation's role mailbox: "2 new requests".

Called after commit. A notice names counts only — never a requester, a reference
or a word of content — because mail passes through servers we do not control.
"""

from __future__ import annotations

import logging
import uuid

from django.core.mail import send_mail
from django.utils.translation import gettext as _

from refuge.accounts.models import Organisation

log = logging.getLogger(__name__)


def new_request(organisation_id: uuid.UUID) -> None:
    """Tell the organisation that a request arrived."""
    _send(organisation_id, _("Refuge: a new request"), _("A new request has arrived. Log in to read it."))


def requester_message(organisation_id: uuid.UUID) -> None:
    """Tell the organisation that a requester wrote."""
    _send(organisation_id, _("Refuge: a new message"), _("A requester has written. Log in to read it."))


def _send(organisation_id: uuid.UUID, subject: str, body: str) -> None:
    address = Organisation.objects.filter(pk=organisation_id).values_list("notification_email", flat=True).first()
    if not address:
        return
    try:
        send_mail(subject, body, None, [address])
    except OSError:
        # A mail outage must not turn an accepted request into an error page.
        log.warning("could not send a notice for organisation %s", organisation_id)
