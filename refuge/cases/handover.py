"""A request handed over to a case team: its key sealed to the team, intake's copy let go.

Accepting a request (`do_accept_request`) and attaching one to an existing case
(refuge/cases/attach.py) do the same to the request's key, here (docs/keys.md, "A request
in a case"): the acting member, who holds the key through the intake group and names each
holder, seals it to every member of the case's team; the intake group's wrap is deleted.
The requester's receipt-derived wrap and the recovery wrap stay, so the receipt keeps
opening the request and nothing is lost. No other path gives a request key to a member
(refuge/accounts/grants.py covers the keys a holder approves later).
"""

from __future__ import annotations

from collections.abc import Sequence

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.cases.models import Case
from refuge.intake.models import HelpRequest, RequesterStatus
from refuge.intake.queries import merged_requests
from refuge.keyring.actions.wraps import do_grant_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap


def hand_over_request(*, actor: User, keyring: Keyring, request: HelpRequest, members: Sequence[User]) -> None:
    """Seal the request's key to the team, let intake go of it, and tell the requester "Accepted" (in a transaction)."""
    for member in members:
        do_grant_key(actor=actor, keyring=keyring, key=request.key, member=member)
    KeyWrap.objects.filter(key=request.key, holder_kind=HolderKind.GROUP).delete()
    HelpRequest.objects.filter(pk=request.pk).update(status=RequesterStatus.ACCEPTED, awaiting_team=False)
    request.status = RequesterStatus.ACCEPTED
    record(
        AuditEvent.REQUEST_STATUS_CHANGED,
        actor_id=actor.pk,
        organisation_id=actor.organisation_id,
        object_type="request",
        object_id=request.pk,
    )


def request_keys(case: Case) -> list[Key]:
    """The keys of every request of the case: the one it was opened from and those attached to it."""
    if case.request is None:
        return []
    return [case.request.key, *(attached.key for attached in merged_requests(case.request))]
