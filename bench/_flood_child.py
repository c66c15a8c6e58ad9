"""Where the real requests of the flood benchmark stand, and a coordinator's triage (run with the server's settings).

python -m bench._flood_child ORGANISATION RECEIPTS.json COORDINATOR PASSWORD  →  one JSON line

After the flood: the real requests' places in the inbox order; whether the surge signal began
(refuge/intake/surge.py, run here as its job would); then the coordinator clears the flood as
the workspace offers it — group the open requests (at most 500 at once), bulk-decline every
large group with the standard message, again until no large group is left — timed.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def _places(order: list[Any], real: set[Any]) -> list[int]:
    return [place for place, pk in enumerate(order, start=1) if pk in real]


def main(slug: str, receipts_path: str, coordinator: str, password: str) -> None:
    import django

    django.setup()
    from refuge.accounts.models import Organisation, User
    from refuge.crypto import unwrap_with_password
    from refuge.intake.access import access_by_receipt
    from refuge.intake.actions.common import this_hour
    from refuge.intake.bulk import do_bulk_decline
    from refuge.intake.models import HelpRequest, RequesterStatus
    from refuge.intake.queries import inbox
    from refuge.intake.reads import LARGE_GROUP, open_inbox_groups
    from refuge.intake.surge import check_organisation, surge_of
    from refuge.keyring.keyring import Keyring

    organisation = Organisation.objects.get(slug=slug)
    real = {access_by_receipt(receipt).request.pk for receipt in json.loads(Path(receipts_path).read_text())}
    order = list(inbox(organisation).values_list("pk", flat=True))
    places = _places(order, real)
    check_organisation(organisation.pk, this_hour())
    surge = surge_of(organisation.pk)
    member = User.objects.get(organisation=organisation, username=coordinator)
    keyring = Keyring(member, unwrap_with_password(bytes(member.private_key_password_wrap), password))
    began = time.perf_counter()
    declining = 0.0
    rounds = declined = 0
    while True:
        rounds += 1
        large = [group for group in open_inbox_groups(member, keyring).groups if len(group) >= LARGE_GROUP]
        if not large:
            break
        for group in large:
            started = time.perf_counter()
            declined += do_bulk_decline(actor=member, keyring=keyring, requests=group)
            declining += time.perf_counter() - started
    triage = time.perf_counter() - began
    after = list(inbox(organisation).values_list("pk", flat=True))
    places_after = _places(after, real)
    real_declined = HelpRequest.objects.filter(pk__in=real, status=RequesterStatus.DECLINED).count()
    result = {
        "inbox": len(order),
        "best": min(places, default=0),
        "worst": max(places, default=0),
        "surge": f"{'yes' if surge.requests_since else 'no'} / {'yes' if surge.danger_since else 'no'}",
        "rounds": rounds,
        "declined": declined,
        "real": len(real),
        "real_declined": real_declined,
        "real_open_after": len(places_after),
        "triage_seconds": round(triage, 2),
        "decline_seconds": round(declining, 2),
        "inbox_after": len(after),
        "worst_after": max(places_after, default=0),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:5])
