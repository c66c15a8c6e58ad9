"""A request for help referred by a partner's system through the JSON API (docs/api.md, "Referrals").

It is sealed exactly like a request sent through the portal (`prepare_submission` and
`store_submission`, refuge/intake/actions.py): under a fresh record key held by the
intake group key, the receipt the partner hands to the person, and recovery. Its own
entry (400, REQUEST_RECEIVED) is held to the hour like a requester's; the API's entry
(6003) names the member's token and not the request, so that the log does not tie the
request to the minute it arrived.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404

from refuge.accounts.audit_events import ApiEvent
from refuge.accounts.models import ApiToken, User
from refuge.audit.actions import record
from refuge.intake.access import can_read_requests
from refuge.intake.actions.submissions import Submission, prepare_submission, store_submission


def do_receive_referral(
    *, actor: User, token: ApiToken, answers: dict[str, Any], urgency: str, language: str
) -> Submission:
    """Store a partner's referral as a new request for the actor's organisation's intake (404 for other roles)."""
    # Who reads requests may bring one in: coordinators and intake, as in the workspace's inbox.
    if not can_read_requests(actor) or not actor.is_active:
        raise Http404
    organisation = actor.organisation
    prepared = prepare_submission(organisation=organisation, answers=answers, urgency=urgency, language=language)
    with transaction.atomic():
        submission = store_submission(prepared)
        record(
            ApiEvent.API_REFERRAL_RECEIVED,
            actor_id=actor.pk,
            organisation_id=organisation.pk,
            object_type="api_token",
            object_id=token.pk,
        )
    return submission
