"""What an organisation's auditors read of the log in the workspace: pages, filters, counts.

Everything here is read from `audit_auditentry` alone, which holds ids and codes and no
personal data (docs/audit.md): nothing is decrypted, and no other table is joined.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from refuge.audit.codes import registry
from refuge.audit.models import AuditEntry

LOG_PAGE_SIZE = 50


@dataclass(frozen=True)
class LogFilter:
    """What the auditor narrowed the log to; None means any."""

    code: int | None = None
    actor_id: uuid.UUID | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None  # inclusive: the whole day


@dataclass(frozen=True)
class LogPage:
    """Entries newest first; pass older_than as before_seq for the next (older) page."""

    entries: list[AuditEntry]
    older_than: int | None


def log_page(
    organisation_id: uuid.UUID, log_filter: LogFilter, *, before_seq: int | None = None, limit: int = LOG_PAGE_SIZE
) -> LogPage:
    """One page of an organisation's entries, newest first, matching the filter."""
    rows = AuditEntry.objects.filter(organisation_id=organisation_id)
    if log_filter.code is not None:
        rows = rows.filter(code=log_filter.code)
    if log_filter.actor_id is not None:
        rows = rows.filter(actor_id=log_filter.actor_id)
    if log_filter.since is not None:
        rows = rows.filter(created_at__gte=_start_of(log_filter.since))
    if log_filter.until is not None:
        rows = rows.filter(created_at__lt=_start_of(log_filter.until + datetime.timedelta(days=1)))
    if before_seq is not None:
        # Keyset pagination on seq: stable while entries are appended, cheap at any depth.
        rows = rows.filter(seq__lt=before_seq)
    page = list(rows.order_by("-seq")[: limit + 1])
    more = len(page) > limit
    entries = page[:limit]
    return LogPage(entries=entries, older_than=entries[-1].seq if more else None)


@dataclass(frozen=True)
class MonthCount:
    """How many entries of one event an organisation's log holds in one month."""

    month: datetime.date
    code: int
    count: int

    @property
    def event(self) -> str:
        """The event's name, or the bare number for a code this version does not know."""
        found = registry.lookup(self.code)
        return found.name if found is not None else str(self.code)


def monthly_counts(organisation_id: uuid.UUID) -> list[MonthCount]:
    """Entries per event per month, newest month first: counts only, nothing per person."""
    rows = (
        AuditEntry.objects.filter(organisation_id=organisation_id)
        .annotate(month=TruncMonth("created_at"))
        .values("month", "code")
        .annotate(count=Count("seq"))
        .order_by("-month", "code")
    )
    return [MonthCount(month=_as_date(row["month"]), code=row["code"], count=row["count"]) for row in rows]


def known_events() -> list[tuple[int, str]]:
    """Every declared code and its name, in code order: the choices of the event filter."""
    return [(event.code, event.name) for event in sorted(registry, key=lambda event: event.code)]


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min), timezone.get_current_timezone())


def _as_date(value: datetime.datetime | datetime.date) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value
