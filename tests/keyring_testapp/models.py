"""Two registered models, as a domain app would declare them, to test rotation and shredding."""

from __future__ import annotations

import uuid

from django.db import models

from refuge.keyring.registry import register_encrypted


@register_encrypted(key_field="key", columns=("body", "title"))
class Note(models.Model):
    """Like a case note: AEAD columns under a record key; title is optional."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    body = models.BinaryField()
    title = models.BinaryField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.pk)


@register_encrypted(key_field="group_key", sealed=("sealed_secret",))
class Envelope(models.Model):
    """Like a new request: a secret sealed to the intake group key's public half."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group_key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="envelopes")
    sealed_secret = models.BinaryField()

    def __str__(self) -> str:
        return str(self.pk)
