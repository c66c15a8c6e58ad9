"""Read-only views of the audit log for an organisation's auditors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from refuge.audit.codes import registry
from refuge.audit.models import AuditEntry

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class EntryPage:
    """One page of entries; pass next_after as after_seq to get the next page."""

    entries: list[AuditEntry]
    next_after: int | None


def entries_for_organisation(organisation_id: uuid.UUID, *, after_seq: int = 0, limit: int = PAGE_SIZE) -> EntryPage:
    """List one organisation's entries in seq order, a page after after_seq."""
    # Keyset pagination on seq: stable while entries are appended, and cheap at
    # any depth. Callers check the auditor's access to organisation_id first.
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = list(
        AuditEntry.objects.filter(organisation_id=organisation_id, seq__gt=after_seq).order_by("seq")[: limit + 1]
    )
    more = len(rows) > limit
    entries = rows[:limit]
    return EntryPage(entries=entries, next_after=entries[-1].seq if more else None)


def event_label(code: int) -> str:
    """Return the event's name for a code, or the bare number for a code this version does not know."""
    event = registry.lookup(code)
    return event.name if event is not None else str(code)
