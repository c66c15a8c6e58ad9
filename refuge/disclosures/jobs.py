"""The "packets-spent" job: a packet that can no longer be taken keeps no produced file.

The file is the age ciphertext to the partner (or under a password given out of band). Once a
packet is expired or used up nothing can take it again, and keeping it would only give whoever
seizes the server something that the partner's key, seized later, or a password noted somewhere
would open. Its record (who, when, what, under the packet's key) stays for the register. The
last download deletes the file at once (packets.py); this job deletes the files of packets that
expired unused.
"""

from __future__ import annotations

from django.db.models import F, Q
from django.utils import timezone

from refuge.core.jobs import register
from refuge.disclosures.models import Packet

EVERY_SECONDS = 3600


@register("packets-spent", every=EVERY_SECONDS)
def clear_spent_packets() -> str:
    """Delete the produced file of every expired or used-up packet; the result holds a count only."""
    spent = Q(expires_at__lte=timezone.now()) | Q(downloads__gte=F("download_limit"))
    cleared = Packet.objects.filter(spent, approved_by__isnull=False).exclude(produced=b"").update(produced=b"")
    return f"{cleared} packet files deleted"
