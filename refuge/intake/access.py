"""The only ways to reach a request: staff by id, requesters by receipt.

Staff get the same 404 for "missing" and "not yours". Requesters get one answer
for a wrong and an unknown receipt, after the same work (DESIGN.md §8).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Role, User
from refuge.core.errors import UserError
from refuge.core.lookup import by_id_or_404
from refuge.crypto import (
    CryptoError,
    InvalidReceipt,
    derive_receipt_secrets,
    generate_keypair,
    normalise_receipt,
    open_sealed,
)
from refuge.intake.models import HelpRequest
from refuge.intake.receipt_brake import ReceiptBrake
from refuge.keyring.keyring import KeyNotHeld
from refuge.keyring.records import requester_secret_for

# Roles that hold the intake group key and so may read requests.
INTAKE_ROLES = frozenset({Role.INTAKE, Role.COORDINATOR})

RECEIPT_NOT_FOUND = _(
    "We could not open a request with this receipt. Check each character and try again; "
    "letters and digits that look alike (O and 0, I and 1) are treated the same."
)


def can_read_requests(user: User) -> bool:
    """Intake members and coordinators hold the intake group key."""
    return user.role in INTAKE_ROLES


def access_request(user: User, request_id: uuid.UUID | str) -> HelpRequest:
    """A request of the user's organisation that the user's role may read; else 404."""
    if not can_read_requests(user):
        raise Http404
    return by_id_or_404(
        HelpRequest.objects.select_related("key").filter(organisation_id=user.organisation_id), request_id
    )


def access_requests(user: User, request_ids: list[uuid.UUID]) -> list[HelpRequest]:
    """Requests of the user's organisation that the user's role may read, all of them; else 404."""
    if not can_read_requests(user):
        raise Http404
    wanted = set(request_ids)
    found = list(HelpRequest.objects.select_related("key").filter(pk__in=wanted, organisation_id=user.organisation_id))
    if len(found) != len(wanted):
        raise Http404
    return found


@dataclass(frozen=True)
class RequesterAccess:
    """A requester who proved their receipt: their request and its record key secret."""

    request: HelpRequest
    secret: bytes = field(repr=False)
    private_key: bytes = field(repr=False)


# Failed look-ups per receipt group: slows guessing around a partly seen receipt,
# never the requesters whose receipts nobody is guessing (refuge/intake/receipt_brake.py).
_brake = ReceiptBrake()
# Opened when a receipt is unknown, so unknown and known receipts cost the same work.
_DUMMY_SEALED = b"\x00" * 80
_DUMMY_PRIVATE = generate_keypair().private


def access_by_receipt(receipt_text: str) -> RequesterAccess:
    """Open a request with its receipt, or raise one UserError that says nothing more."""
    try:
        receipt = normalise_receipt(receipt_text if isinstance(receipt_text, str) else "")
    except InvalidReceipt:
        raise UserError(
            "bad_receipt_format", _("A receipt has 20 letters and digits, in groups of four."), field="receipt"
        ) from None
    # Before any work, and for the right receipt too: else a guesser's right guess would pass.
    if not _brake.allows(receipt):
        raise UserError("busy", _("Too many attempts right now. Please wait a minute and try again."))
    derived = derive_receipt_secrets(receipt, settings.REFUGE_RECEIPT_PEPPER)
    request = (
        HelpRequest.objects.select_related("key", "organisation").filter(lookup_id=derived.lookup_id.hex()).first()
    )
    if request is None:
        with contextlib.suppress(CryptoError):
            open_sealed(_DUMMY_PRIVATE, _DUMMY_SEALED)
        _brake.failed(receipt)
        raise UserError("receipt_not_found", RECEIPT_NOT_FOUND, field="receipt")
    try:
        secret = requester_secret_for(request.key, derived.keypair.private)
    except (KeyNotHeld, CryptoError):
        # The request exists but its key was shredded: to the requester, the same answer.
        _brake.failed(receipt)
        raise UserError("receipt_not_found", RECEIPT_NOT_FOUND, field="receipt") from None
    return RequesterAccess(request=request, secret=secret, private_key=derived.keypair.private)
