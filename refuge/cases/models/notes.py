"""Case notes, encrypted under the case key."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from refuge.cases.models.case import Case
from refuge.keyring.registry import register_encrypted


@register_encrypted(key_field="key", columns=("body",))
class Note(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.BinaryField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"note {self.pk}"
