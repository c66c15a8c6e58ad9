"""Case documents: each file under its own file key, wrapped by the case key."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from refuge.cases.models.case import Case
from refuge.keyring.registry import register_encrypted


@register_encrypted(key_field="key", columns=("file_key", "name", "removed"))
class CaseDocument(models.Model):
    """A document the team attached, sanitised like requester uploads, encrypted in chunks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    file_key = models.BinaryField()
    name = models.BinaryField()
    removed = models.BinaryField()
    kind = models.CharField(max_length=8)
    size = models.PositiveIntegerField()
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"document {self.pk}"
