"""One table: a request as a Django app without encryption would keep it, in clear."""

from __future__ import annotations

import uuid

from django.db import models


class PlainRequest(models.Model):
    """The request form's answers as plaintext JSON: no record key, no wraps; blind indexes kept."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    # The receipt itself, in clear: without the keyed hash there is nothing to derive it into.
    receipt = models.CharField(max_length=32, unique=True)
    content = models.TextField()
    urgency = models.CharField(max_length=8)
    language = models.CharField(max_length=8)
    received_at = models.DateTimeField()
    # The same keyed hashes as the portal's blind indexes (a keyed hash is not encryption: the
    # plaintext build of the case pages keeps them too), field → digest.
    indexes = models.JSONField(default=dict)

    # Declared because the type checker's settings (refuge.test_settings) do not install this app.
    objects: models.Manager[PlainRequest] = models.Manager()

    def __str__(self) -> str:
        return "plain request"
