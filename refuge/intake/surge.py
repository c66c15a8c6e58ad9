"""The surge signal: new requests (or "danger now" ones) arriving far above the usual rate.

A flood of scripted "I am in danger right now" requests must not bury the inbox quietly
(issue #16, item 8), and a real surge (Rainbow Railroad saw six-fold ones after events)
must not go unnoticed either. Every minute the job `intake-surge` compares, for each
organisation, the requests received in the current and the previous hour (times are
kept to the hour only) with the organisation's usual rate: the median of its daily counts
over the last 14 days, so that one flooded day does not raise what counts as usual. When
the count is at least SURGE_FACTOR times usual, and at least a floor, a surge begins:
every intake page shows a banner, a content-free notice is owed to the organisation's
mailbox, and the audit log gets an entry held to the hour like a requester's act (its
second would tell when the threshold was crossed, hence when some request arrived). The
"danger now" rate is watched on its own, with a lower floor, so it cannot be exceeded
silently even inside an ordinary total.
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count

from refuge.accounts.models import Organisation
from refuge.accounts.notices import Kind, owe_notice
from refuge.audit.actions import record_requester_act
from refuge.audit.events import AuditEvent
from refuge.core.jobs import register
from refuge.intake.actions.common import this_hour
from refuge.intake.models import HelpRequest, SurgeSignal, Urgency

# A surge: at least this many times the usual count of the same window...
SURGE_FACTOR = 5
# ...and at least this many requests (all of them / "danger now") in it: a quiet
# organisation's usual rate is near zero, and three requests in an hour are not a flood.
MIN_REQUESTS = 30
MIN_DANGER_NOW = 10
# The window: the current hour so far and the whole previous one (60 to 120 minutes).
WINDOW_HOURS = 2
HISTORY_DAYS = 14
CHECK_EVERY_SECONDS = 60


@dataclass(frozen=True)
class Rate:
    """Requests in the window, and the most the window may hold before it is a surge."""

    recent: int
    usual: float
    threshold: float

    @property
    def surging(self) -> bool:
        return self.recent >= self.threshold


@dataclass(frozen=True)
class Rates:
    requests: Rate
    danger_now: Rate


def _rate(recent: int, daily: list[int], floor: int) -> Rate:
    usual = statistics.median(daily) * WINDOW_HOURS / 24 if daily else 0.0
    return Rate(recent, usual, max(float(floor), SURGE_FACTOR * usual))


def rates(organisation_id: uuid.UUID, hour: datetime) -> Rates:
    """The organisation's recent and usual counts, as of `hour` (the start of the current hour)."""
    window_start = hour - timedelta(hours=WINDOW_HOURS - 1)
    history_start = window_start - timedelta(days=HISTORY_DAYS)
    received = HelpRequest.objects.filter(organisation_id=organisation_id, received_at__gte=history_start)
    daily_all = [0] * HISTORY_DAYS
    daily_danger = [0] * HISTORY_DAYS
    recent_all = recent_danger = 0
    # One row per hour and urgency (received_at is whole hours): at most 14 × 24 × 3 rows.
    for received_at, urgency, count in received.values_list("received_at", "urgency").annotate(n=Count("id")):
        danger = urgency == Urgency.DANGER_NOW
        if received_at >= window_start:
            recent_all += count
            recent_danger += count if danger else 0
            continue
        day = min(HISTORY_DAYS - 1, int((window_start - received_at) / timedelta(days=1)))
        daily_all[day] += count
        daily_danger[day] += count if danger else 0
    return Rates(_rate(recent_all, daily_all, MIN_REQUESTS), _rate(recent_danger, daily_danger, MIN_DANGER_NOW))


def check_organisation(organisation_id: uuid.UUID, hour: datetime) -> tuple[bool, bool]:
    """Begin or end the organisation's surges as its rates say; True for each surge that began now."""
    now = rates(organisation_id, hour)
    with transaction.atomic():
        signal, _created = SurgeSignal.objects.select_for_update().get_or_create(organisation_id=organisation_id)
        began_requests = _turn(signal, "requests_since", now.requests, hour, organisation_id, Kind.SURGE)
        began_danger = _turn(signal, "danger_since", now.danger_now, hour, organisation_id, Kind.DANGER)
    return began_requests, began_danger


_EVENTS = {
    "requests_since": (AuditEvent.REQUEST_SURGE_BEGAN, AuditEvent.REQUEST_SURGE_ENDED),
    "danger_since": (AuditEvent.DANGER_SURGE_BEGAN, AuditEvent.DANGER_SURGE_ENDED),
}


def _turn(signal: SurgeSignal, field: str, rate: Rate, hour: datetime, organisation_id: uuid.UUID, kind: str) -> bool:
    """Record a change of one surge (idempotent: nothing is written while it stays as it was)."""
    since = getattr(signal, field)
    if rate.surging == (since is not None):
        return False
    began, ended = _EVENTS[field]
    setattr(signal, field, hour if rate.surging else None)
    signal.save(update_fields=[field])
    # Held to the hour, as the requests that caused it: its second would date the last of them.
    record_requester_act(
        began if rate.surging else ended,
        organisation_id=organisation_id,
        object_type="organisation",
        object_id=organisation_id,
    )
    if rate.surging:
        # Content-free, to the organisation's mailbox: "far more new requests than usual".
        owe_notice(organisation_id, kind)
    return rate.surging


@register("intake-surge", every=CHECK_EVERY_SECONDS, lease=120)
def check_surges() -> str:
    """Compare every organisation's recent requests with its usual rate; idempotent."""
    hour = this_hour()
    for organisation_id in Organisation.objects.values_list("pk", flat=True):
        check_organisation(organisation_id, hour)
    # Counts only, and not of surges: this result is stored in clear with its second.
    return "checked"


@dataclass(frozen=True)
class Surge:
    """What the intake pages' banner says."""

    requests_since: datetime | None = None
    danger_since: datetime | None = None

    @property
    def any(self) -> bool:
        return self.requests_since is not None or self.danger_since is not None


def surge_of(organisation_id: uuid.UUID) -> Surge:
    """The organisation's surges as the job last saw them (one row; nothing when there is none)."""
    row = SurgeSignal.objects.filter(organisation_id=organisation_id).values_list("requests_since", "danger_since")
    found = list(row)
    return Surge(*found[0]) if found else Surge()
