"""Messages from the team to the requester."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.actions.base import add_event, audit_act, check_on_team, touch
from refuge.cases.models import Case, EventKind
from refuge.core.errors import UserError
from refuge.intake.actions.messages import MAX_MESSAGE_CHARS, do_reply
from refuge.keyring.keyring import Keyring


def do_message_requester(*, actor: User, keyring: Keyring, case: Case, body: str) -> None:
    """Write to the requester from the case: readable by them and the team only."""
    check_on_team(actor, case)
    if case.request is None:
        raise UserError("no_requester", _("This case was not opened from a request: there is nobody to write to."))
    if len(body or "") > MAX_MESSAGE_CHARS:
        raise UserError("message_too_long", _("The message is too long: at most 10,000 characters."), field="body")
    with transaction.atomic():
        do_reply(actor=actor, keyring=keyring, request=case.request, body=body)
        touch(case)
        add_event(case, keyring.secret_for(case.key), EventKind.MESSAGE, actor, {})
        audit_act(AuditEvent.CASE_MESSAGE_SENT, actor, "case", case.pk)
