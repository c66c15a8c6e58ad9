"""Confirmation back from the receiving side: the packet's acknowledgement code (issue #14).

There is no channel between installations, nor to a partner that opens packets with `age`, and
there should not be one: a server that calls out tells an observer who works with whom. So the
confirmation travels the way the packet's password does, out of band. When a packet is produced,
a fresh code of 100 random bits (five groups of four letters and digits, the receipt alphabet)
is written into it (`packet.json` "acknowledgement", and the summary PDF); only its SHA-256 is
kept here, so nobody at the sending organisation can read it or mark a packet received by
themselves. Whoever opened the packet (a receiving Refuge installation shows the code after
the import) tells it to the sender, who types it on the packet's page: the packet is then
"received" in the case's list and the register. A wrong code writes nothing.
"""

from __future__ import annotations

import hmac

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.actions import record
from refuge.cases.access import is_team_member
from refuge.core.errors import UserError
from refuge.crypto import InvalidReceipt, new_receipt, normalise_receipt, sha256_hex
from refuge.disclosures.access import can_approve_packets
from refuge.disclosures.audit_events import DisclosureEvent
from refuge.disclosures.models import Packet

MAX_CODE_CHARS = 64


def new_acknowledgement() -> tuple[str, str]:
    """A fresh acknowledgement code for a packet, and the digest kept of it."""
    code = new_receipt()  # 100 bits, typeable: the same form as a requester's receipt
    return code, acknowledgement_digest(code)


def acknowledgement_digest(code: str) -> str:
    return sha256_hex(code.encode("ascii"))


def normalised_acknowledgement(text: str) -> str | None:
    """The canonical form of a typed code (spaces, dashes, case and look-alike letters forgiven), or None."""
    if not text or len(text) > MAX_CODE_CHARS:
        return None
    try:
        return normalise_receipt(text)
    except InvalidReceipt:
        return None


def do_confirm_receipt(*, actor: User, packet: Packet, code: str) -> None:
    """Mark the packet received, given the code only its recipient could read; UserError (nothing written) else."""
    if not is_team_member(actor, packet.case) and not (
        can_approve_packets(actor) and packet.organisation_id == actor.organisation_id
    ):
        raise UserError("not_allowed", _("Only the case's team or a coordinator confirms a packet's receipt."))
    canonical = normalised_acknowledgement(code)
    wrong = UserError(
        "wrong_code",
        _("This is not the packet's confirmation code. Ask the partner to read it again from the packet."),
        field="code",
    )
    if canonical is None:
        raise wrong
    with transaction.atomic():
        locked = Packet.objects.select_for_update().get(pk=packet.pk)
        if locked.received_on is not None:
            raise UserError("already_received", _("The partner's receipt of this packet is already confirmed."))
        expected = locked.acknowledgement_digest or ""
        # Constant time: the comparison tells nothing about how close a guess came.
        if not expected or not hmac.compare_digest(acknowledgement_digest(canonical), expected):
            raise wrong
        locked.received_on = timezone.localdate()
        locked.save(update_fields=["received_on"])
        record(
            DisclosureEvent.PACKET_RECEIVED,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="packet",
            object_id=locked.pk,
        )
    packet.received_on = locked.received_on
