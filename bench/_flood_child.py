"""Where the real requests of the flood benchmark stand in the intake inbox (run with the server's settings).

python -m bench._flood_child ORGANISATION RECEIPTS.json   →  one JSON line
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(slug: str, receipts_path: str) -> None:
    import django

    django.setup()
    from refuge.accounts.models import Organisation
    from refuge.intake.access import access_by_receipt
    from refuge.intake.queries import inbox

    organisation = Organisation.objects.get(slug=slug)
    real = {access_by_receipt(receipt).request.pk for receipt in json.loads(Path(receipts_path).read_text())}
    order = list(inbox(organisation).values_list("pk", flat=True))
    places = [place for place, pk in enumerate(order, start=1) if pk in real]
    print(json.dumps({"inbox": len(order), "best": min(places, default=0), "worst": max(places, default=0)}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
