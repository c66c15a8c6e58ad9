"""The append-only, hash-chained audit log (DESIGN.md §5, audit)."""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """One act: who, which kind, on which object, when. No personal data, ever.

    `entry_hash` = chain_hash(previous entry's hash, canonical encoding of this
    row), so editing, deleting, inserting or reordering rows breaks the chain.
    """

    seq = models.BigIntegerField(unique=True)
    organisation_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_id = models.UUIDField(null=True, blank=True)
    code = models.PositiveIntegerField()
    object_type = models.CharField(max_length=40, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField()
    prev_hash = models.BinaryField(max_length=32)
    entry_hash = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"audit entry {self.seq} (code {self.code})"


class AuditHead(models.Model):
    """Singleton row locked while appending, so concurrent writers chain in order."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.BinaryField(max_length=32)

    def __str__(self) -> str:
        return f"audit head at entry {self.seq}"


class AuditCheckpoint(models.Model):
    """An Ed25519 signature over the chain head, exportable to an off-host witness."""

    seq = models.BigIntegerField(unique=True)
    entry_hash = models.BinaryField(max_length=32)
    signed_at = models.DateTimeField()
    signature = models.BinaryField(max_length=64)
    public_key = models.BinaryField(max_length=32)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"audit checkpoint at entry {self.seq}"


class HeldEntry(models.Model):
    """An anonymous requester's act, held back until its hour has ended (docs/threat-model.md).

    It carries the hour, never the second, and is appended to the chain, in a
    shuffled batch with the rest of its hour, by the first audit write after the
    hour ends (or `refuge audit flush`): so neither its time nor its place in the
    chain says when within the hour it happened. The table holds requester acts
    only, so the order of its own rows says nothing against staff acts.
    """

    organisation_id = models.UUIDField(null=True, blank=True)
    code = models.PositiveIntegerField()
    object_type = models.CharField(max_length=40, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    hour = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"held audit entry (code {self.code})"
