"""Blind indexes, version 2 (issue #16): stretch every stored keyed hash with Argon2id and truncate it.

Version 1 stored the keyed BLAKE2b-256 whole; version 2 is Argon2id over it, truncated
(refuge/crypto/blind.py), so the conversion needs no plaintext and no key: about 0.7 ms a
distinct value (docs/operations.md, "Upgrading"). Rows already converted (shorter than
64 hex digits) are left alone, so running it again changes nothing. Not reversible: the
truncated index cannot give back the whole hash. Used by intake 0003 and cases 0007.
"""

from typing import Any

from django.db.models.functions import Length

from refuge.crypto.blind import stretch_legacy_index

# Frozen here: the bits of version 2 as first released (INDEX_BITS may change later only
# with a reindex from plaintext).
BITS = {"name": 24, "phone": 22, "document_number": 22}
DEFAULT_BITS = 22
LEGACY_LENGTH = 64
BATCH = 2000


def stretch_all(model: Any) -> None:
    """Convert every version-1 row of a blind-index model (field, digest), in batches."""
    rows = model.objects.annotate(length=Length("digest")).filter(length=LEGACY_LENGTH).order_by("pk")
    done: dict[tuple[str, str], str] = {}  # equal values (duplicates) are stretched once
    batch = []
    for row in rows.only("pk", "field", "digest").iterator(chunk_size=BATCH):
        wanted = (row.field, row.digest)
        if wanted not in done:
            done[wanted] = stretch_legacy_index(row.field, row.digest, BITS.get(row.field, DEFAULT_BITS))
        row.digest = done[wanted]
        batch.append(row)
        if len(batch) >= BATCH:
            model.objects.bulk_update(batch, ["digest"])
            batch = []
    if batch:
        model.objects.bulk_update(batch, ["digest"])
