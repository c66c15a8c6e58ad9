"""The portal's only table: one-time form tokens already used (replay protection).

A row holds a hash of a random token and the hour it was used: nothing that links
it to a request, a requester or a browser.
"""

from __future__ import annotations

from django.db import models


class UsedFormNonce(models.Model):
    """A request or reply form that was already sent: a second copy is refused."""

    digest = models.CharField(max_length=64, unique=True)
    # To the hour, like every requester time; rows older than a form's lifetime are purged.
    used_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return "used form"
