"""Files inside a compartment (a passport scan in the legal identity): under the compartment's key, not the case's."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from refuge.cases.models.compartments import Compartment
from refuge.keyring.registry import register_encrypted


@register_encrypted(key_field="key", columns=("file_key", "name", "removed"))
class CompartmentFile(models.Model):
    """A file of a compartment, sanitised like every upload, encrypted in chunks under its own file key.

    The file key, name and removed metadata are encrypted under the compartment's key (`key` is
    the compartment's own Key row), so only the compartment's holders can open the file: the rest
    of the team, who hold the case key, cannot. Taking the compartment back from a member rotates
    that key, which re-encrypts these columns with it (refuge/keyring/files.py).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    compartment = models.ForeignKey(Compartment, on_delete=models.CASCADE, related_name="files")
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
        return f"file {self.pk} of compartment {self.compartment_id}"
