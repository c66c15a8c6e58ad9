"""Merging two requests of one person into one (issue #16, item 14).

A requester who lost the receipt writes again and says so; a frightened one sends the
same request twice. Merging puts the second into the first: it leaves the inbox, its
story, files and conversation are read on the other's page, and one decision covers
both (declined together, accepted together into one case). Either request can be the
one kept. Nothing is copied: each keeps its own key, and its requester's receipt keeps
opening it. Until the request kept is accepted into a case, a merge is undone with
`do_unmerge_request`; once in a case it is final (the team holds the key and intake
has let go of it: docs/keys.md). Merging into a request that is already in a case is
attaching to that case, an act of the case's team (refuge/cases/attach.py).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.intake.access import can_read_requests
from refuge.intake.models import HelpRequest, MergedRequest, RequesterStatus

CLOSED = (RequesterStatus.ACCEPTED, RequesterStatus.DECLINED)


def _check_may_merge(actor: User, *requests: HelpRequest) -> None:
    if not can_read_requests(actor) or any(r.organisation_id != actor.organisation_id for r in requests):
        raise UserError("not_allowed", _("You cannot merge requests."))


def audit_merge(event: AuditEvent, actor: User, *requests: HelpRequest) -> None:
    """One entry per request: either request's history shows the merge."""
    for request in requests:
        record(
            event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="request", object_id=request.pk
        )


def merged_into(request: HelpRequest) -> HelpRequest | None:
    """The request this one is merged into, if any; decrypts nothing."""
    row = MergedRequest.objects.filter(request=request).select_related("into__key").first()
    return None if row is None else row.into


def check_mergeable(request: HelpRequest, field: str = "reference") -> None:
    """Refuse a request that cannot be merged into another (it is decided, or merged already)."""
    if request.status in CLOSED:
        raise UserError(
            "request_decided",
            _("Request %(reference)s is already accepted or declined: only open requests are merged.")
            % {"reference": request.reference},
            field=field,
        )
    into = merged_into(request)
    if into is not None:
        raise UserError(
            "already_merged",
            _("Request %(reference)s is already merged into %(into)s.")
            % {"reference": request.reference, "into": into.reference},
            field=field,
        )


def check_not_merged(request: HelpRequest) -> None:
    """Refuse to accept a request merged into another: it goes into a case with the one it was merged into."""
    into = merged_into(request)
    if into is not None:
        raise UserError(
            "merged_request",
            _("This request is merged into %(into)s: accept that one, and this one comes with it.")
            % {"into": into.reference},
        )


def move_merged(actor: User, request: HelpRequest, into: HelpRequest) -> list[HelpRequest]:
    """Requests merged into `request` follow it into `into`: a merge never makes a chain. Returns them."""
    moved = [row.request for row in MergedRequest.objects.filter(into=request).select_related("request__key")]
    MergedRequest.objects.filter(into=request).update(into=into)
    audit_merge(AuditEvent.REQUEST_MERGED, actor, *moved)
    return moved


def do_merge_requests(*, actor: User, request: HelpRequest, into: HelpRequest) -> MergedRequest:
    """Merge `request` into `into` (both open, of the actor's organisation); audited on both."""
    _check_may_merge(actor, request, into)
    if request.pk == into.pk:
        raise UserError("merge_itself", _("A request cannot be merged into itself."), field="reference")
    with transaction.atomic(durable=True):
        # Both rows locked in id order, so two members merging the same pair queue up.
        rows = HelpRequest.objects.select_for_update().filter(pk__in=[request.pk, into.pk]).order_by("pk")
        locked = {row.pk: row for row in rows}
        request, into = locked[request.pk], locked[into.pk]
        check_mergeable(request)
        if into.status == RequesterStatus.ACCEPTED:
            raise UserError(
                "into_case",
                _(
                    "Request %(reference)s is in a case: attach this request to that case instead "
                    "(a member of the case's team can)."
                )
                % {"reference": into.reference},
                field="reference",
            )
        check_mergeable(into)
        move_merged(actor, request, into)
        row = MergedRequest.objects.create(
            request=request,
            into=into,
            organisation_id=actor.organisation_id,
            merged_by=actor,
            merged_on=timezone.localdate(),
        )
        if request.awaiting_team and not into.awaiting_team:
            # The merged request's wait for an answer is now the kept one's.
            HelpRequest.objects.filter(pk=into.pk).update(awaiting_team=True)
        audit_merge(AuditEvent.REQUEST_MERGED, actor, request, into)
    return row


def do_unmerge_request(*, actor: User, request: HelpRequest) -> None:
    """Undo a merge while neither request is in a case: the merged request is back in the inbox."""
    _check_may_merge(actor, request)
    with transaction.atomic(durable=True):
        row = MergedRequest.objects.select_for_update().filter(request=request).select_related("into").first()
        if row is None:
            raise UserError("not_merged", _("This request is not merged into another."))
        if RequesterStatus.ACCEPTED in (row.request.status, row.into.status) or row.request.status == (
            RequesterStatus.DECLINED
        ):
            raise UserError(
                "merge_final",
                _("This merge is final: the requests were accepted or declined together."),
            )
        row.delete()
        audit_merge(AuditEvent.REQUEST_UNMERGED, actor, request, row.into)
