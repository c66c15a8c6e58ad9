"""Referrals from a partner's system into intake (scope referrals:write)."""

from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables
from ninja import Router, Status

from refuge.accounts.api_tokens import Scope
from refuge.api.auth import caller
from refuge.api.errors import WRITE_ERRORS
from refuge.api.schemas import ReferralIn, ReferralOut
from refuge.intake.referrals import do_receive_referral

router = Router(tags=["referrals"])


@router.post(
    "/referrals", response={201: ReferralOut, **WRITE_ERRORS}, url_name="referrals", summary="Refer a request for help"
)
# Everything in a referral is about a person at risk: none of it may reach an error report.
@sensitive_variables()
def refer(request: HttpRequest, referral: ReferralIn) -> Status:
    """A new request in intake's inbox, sealed like one sent through the portal; the receipt is in this answer only."""
    who = caller(request, Scope.REFERRALS)
    answers = referral.dict(exclude={"urgency", "language"})
    answers["custom"] = {}
    submission = do_receive_referral(
        actor=who.member, token=who.token, answers=answers, urgency=referral.urgency, language=referral.language
    )
    return Status(201, ReferralOut(reference=submission.request.reference, receipt=submission.receipt))
