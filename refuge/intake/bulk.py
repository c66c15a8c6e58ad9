"""Declining many requests at once: triage under a flood (issue #16, item 8).

A scripted flood fills the inbox with near-copies; the grouped inbox (similarity.py)
puts them together, and a member declines the ticked ones with one form. Each request
is declined exactly as on its own page (`do_decline`: the kind message under the
request's own key, the status "We are not able to help", one audit entry for each),
so a requester who was real sees nothing that tells a bulk decline from a single one.
All of it happens in one transaction: if one request cannot be declined (someone
accepted it meanwhile, a key this member does not hold), nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.intake.access import can_read_requests
from refuge.intake.actions.messages import MAX_MESSAGE_CHARS, do_decline
from refuge.intake.models import HelpRequest, RequesterStatus
from refuge.keyring.keyring import Keyring

# What a requester reads when the organisation cannot help. Kind and generic on
# purpose: it must not say why (that could tell a plant what we check), and the
# member can make it personal before sending.
DECLINE_MESSAGE = _(
    "Thank you for trusting us with your request. We have read it carefully, and we are "
    "sorry: we are not able to help you ourselves. This is not a judgement of you or of "
    "what you told us. If you can, please look for other organisations that help people "
    "in your situation. Keep yourself safe."
)

# Requests declined by one form at most: as many as the grouped inbox shows at once.
MAX_BULK_DECLINE = 500
CLOSED = frozenset({RequesterStatus.ACCEPTED, RequesterStatus.DECLINED})


def decline_message_in(language: str) -> str:
    """The standard decline message in the requester's language (the language they wrote in)."""
    with translation.override(language or "en"):
        return str(DECLINE_MESSAGE)


def do_bulk_decline(*, actor: User, keyring: Keyring, requests: Sequence[HelpRequest], message: str = "") -> int:
    """Decline every request given, each as `do_decline` would, in one transaction: all or none.

    `message` is sent to every requester; empty, each gets the standard message in their own language.
    """
    if not can_read_requests(actor):
        raise UserError("not_allowed", _("You cannot decline requests."))
    chosen = list({request.pk: request for request in requests}.values())
    if not chosen:
        raise UserError("none_chosen", _("Tick at least one request to decline."), field="requests")
    if len(chosen) > MAX_BULK_DECLINE:
        raise UserError(
            "too_many_chosen",
            _("At most %(limit)s requests can be declined at once.") % {"limit": MAX_BULK_DECLINE},
            field="requests",
        )
    text = (message or "").strip()
    if len(text) > MAX_MESSAGE_CHARS:
        raise UserError("message_too_long", _("The message is too long: at most 10,000 characters."), field="message")
    with transaction.atomic(durable=True):
        # Every row locked first, in id order: two members declining overlapping groups queue up.
        locked = list(
            HelpRequest.objects.select_for_update()
            .select_related("key")
            .filter(pk__in=[request.pk for request in chosen], organisation_id=actor.organisation_id)
            .order_by("pk")
        )
        if len(locked) != len(chosen):
            raise UserError(
                "request_gone", _("Nothing was declined: a ticked request is no longer there."), field="requests"
            )
        decided = sorted(request.reference for request in locked if request.status in CLOSED)
        if decided:
            raise UserError(
                "no_longer_open",
                _("Nothing was declined: %(references)s is no longer open (accepted or declined meanwhile).")
                % {"references": ", ".join(decided)},
                field="requests",
            )
        for request in locked:
            do_decline(
                actor=actor, keyring=keyring, request=request, message=text or decline_message_in(request.language)
            )
        # Besides each request's own entries: that these declines were one act, and whose.
        record(
            AuditEvent.REQUESTS_BULK_DECLINED,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="organisation",
            object_id=actor.organisation_id,
        )
    return len(locked)
