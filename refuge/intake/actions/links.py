"""Links between two requests of one organisation (a lost receipt, the same family)."""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.intake.access import can_read_requests
from refuge.intake.models import HelpRequest, RequestLink

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
