"""Many stored requests, fast: the rows a submission writes, with random bytes for ciphertexts.

For the tests and benchmarks that need a large table (query plans, cost at 100,000 or
1,000,000 stored requests): each request gets its record key, the key's three wraps
(intake group, requester, recovery) and three blind indexes, as `store_submission`
writes them, in the places it writes them: the wraps' ids and (on SQLite) the key's
hidden rowid random and negative (refuge/intake/unordered.py), so that the b-trees a
new submission writes into are laid out as in an installation that took that many.
Nobody opens these: their ciphertexts are random bytes of plausible sizes.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime

BATCH = 5000
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def store_requests(
    organisation: object, count: int, *, this_hour: bool = False, progress: Callable[[int], None] | None = None
) -> None:
    """Store `count` requests of `organisation`, in transactions of BATCH requests.

    `this_hour`: as if all were sent within the current hour, so the tables that hold a
    submission's traces for a while grow too: its used form token (kept a day) and its
    audit entry held until the hour ends (never for a benchmark: the next hour's first audit
    write would chain them all).
    """
    from django.db import connection, transaction

    from refuge.audit.events import AuditEvent
    from refuge.audit.models import HeldEntry
    from refuge.core.rows import insert_new_rows
    from refuge.intake.models import HelpRequest, RequestIndex
    from refuge.intake.unordered import unordered_id, unordered_ids
    from refuge.keyring.models import HolderKind, Key, KeyWrap, Purpose
    from refuge.keyring.records import intake_group_key
    from refuge.requester.models import UsedFormNonce

    group = intake_group_key(organisation)  # type: ignore[arg-type]
    rng = random.Random(os.urandom(8))
    references = set(HelpRequest.objects.values_list("reference", flat=True))
    now = time.time()
    hour = datetime.fromtimestamp(now - now % 3600, UTC)
    done = 0
    while done < count:
        batch = min(BATCH, count - done)
        keys, wraps, requests, indexes = [], [], [], []
        tokens, held = [], []
        for _ in range(batch):
            key = Key(organisation=organisation, purpose=Purpose.RECORD, label="request")
            keys.append(key)
            kinds = (HolderKind.GROUP, HolderKind.REQUESTER, HolderKind.RECOVERY)
            for kind, wrap_id in zip(kinds, unordered_ids(len(kinds)), strict=True):
                wraps.append(
                    KeyWrap(
                        id=wrap_id,
                        key=key,
                        holder_kind=kind,
                        holder_key=group if kind == HolderKind.GROUP else None,
                        holder_public_key=os.urandom(32) if kind == HolderKind.REQUESTER else None,
                        key_version=1,
                        wrapped=os.urandom(80),
                    )
                )
            reference = ""
            while not reference or reference in references:
                reference = "R-" + "".join(rng.choice(_ALPHABET) for _ in range(6))
            references.add(reference)
            request = HelpRequest(
                organisation=organisation,
                reference=reference,
                lookup_id=os.urandom(32).hex(),
                key=key,
                content=os.urandom(rng.randint(300, 3000)),
                urgency=rng.choice(["now", "weeks", "later"]),
                language="ru",
                received_at=hour,
                last_activity_at=hour,
                awaiting_team=rng.random() < 0.05,
            )
            requests.append(request)
            indexes += [
                RequestIndex(request=request, organisation=organisation, field=name, digest=os.urandom(8).hex())
                for name in ("name", "phone", "document_number")
            ]
            if this_hour:
                tokens.append(UsedFormNonce(digest=os.urandom(32).hex(), used_at=hour))
                held.append(
                    HeldEntry(
                        organisation_id=organisation.pk,  # type: ignore[attr-defined]
                        code=int(AuditEvent.REQUEST_RECEIVED),
                        object_type="request",
                        object_id=str(request.pk),
                        hour=hour,
                    )
                )
        with transaction.atomic():
            insert_new_rows(keys, rowids=[unordered_id() for _ in keys] if connection.vendor == "sqlite" else None)
            KeyWrap.objects.bulk_create(wraps, batch_size=2000)
            insert_new_rows(requests)
            insert_new_rows(indexes)
            insert_new_rows(tokens)
            insert_new_rows(held)
        done += batch
        if progress is not None:
            progress(done)
