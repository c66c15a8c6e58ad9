"""What staff set on a request (its status, a suspected plant) and the reads they record."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.intake.models import HelpRequest, RequesterStatus


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
