"""The daily "retention" job (docs/operations.md, "Retention")."""

from __future__ import annotations

from django.utils import timezone

from refuge.core.jobs import register
from refuge.retention.actions import shred_due

DAY_SECONDS = 24 * 60 * 60


# Long lease: an organisation with thousands of records due at once shreds them one per transaction.
@register("retention", every=DAY_SECONDS, lease=3600)
def run_retention() -> str:
    """Shred what is due today; the result holds counts only."""
    return shred_due(today=timezone.localdate()).summary()
