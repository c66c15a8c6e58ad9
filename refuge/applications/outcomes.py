"""Outcome statistics per pathway and destination, from the clear columns only (no key, nothing decrypted).

For each pathway: applications submitted, granted, refused, withdrawn and pending; the median
and 90th percentile of the days from submission to decision; and of the days from the case's
first request to arrival, counted for the pathway of the application that was granted. Fewer
than `SMALL_SAMPLE` values and the figure carries a warning. A coordinator's numbers cover the
organisation's cases, anyone else's only the cases whose team they are on; the organisation is
always the member's own, so another organisation's data is never counted.
"""

from __future__ import annotations

import datetime
import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from refuge.accounts.models import Role, User
from refuge.applications.models import Application, Journey, Status
from refuge.applications.queries import fetch_rows
from refuge.cases.models import TeamMember
from refuge.relocation.models import Pathway

SMALL_SAMPLE = 5
PENDING = (Status.SUBMITTED.value, Status.INTERVIEW.value, Status.APPEAL.value)


def percentile(values: list[int], share: float) -> float | None:
    """The nearest-rank percentile (share in 0..1] of the values; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return float(ordered[rank - 1])


@dataclass
class Durations:
    """Whole days, kept as how many times each value occurs (the database counts them)."""

    counts: dict[int, int] = field(default_factory=dict)

    def add(self, days: int, times: int = 1) -> None:
        self.counts[days] = self.counts.get(days, 0) + times

    @property
    def values(self) -> list[int]:
        return [days for days in sorted(self.counts) for _ in range(self.counts[days])]

    @property
    def count(self) -> int:
        return sum(self.counts.values())

    def _nth(self, rank: int) -> int:
        """The rank-th smallest value (1-based)."""
        seen = 0
        for days in sorted(self.counts):
            seen += self.counts[days]
            if seen >= rank:
                return days
        raise IndexError(rank)

    @property
    def median(self) -> float | None:
        total = self.count
        if not total:
            return None
        if total % 2:
            return float(self._nth(total // 2 + 1))
        return (self._nth(total // 2) + self._nth(total // 2 + 1)) / 2

    @property
    def p90(self) -> float | None:
        total = self.count
        return float(self._nth(max(1, math.ceil(0.9 * total)))) if total else None

    @property
    def small_sample(self) -> bool:
        return self.count < SMALL_SAMPLE


@dataclass
class Row:
    pathway_id: int
    country: str
    name: str
    submitted: int = 0
    granted: int = 0
    refused: int = 0
    withdrawn: int = 0
    pending: int = 0
    to_decision: Durations = field(default_factory=Durations)
    to_arrival: Durations = field(default_factory=Durations)

    @property
    def decided(self) -> int:
        return self.granted + self.refused

    @property
    def small_sample(self) -> bool:
        return self.submitted < SMALL_SAMPLE


@dataclass(frozen=True)
class Filters:
    since: datetime.date | None = None  # first month of submission counted
    until: datetime.date | None = None  # last month of submission counted
    member: User | None = None  # only cases whose team this member is on (a coordinator's "team" filter)


def visible_applications(viewer: User, filters: Filters) -> QuerySet[Application]:
    """The applications whose outcomes this member may count, filtered.

    A coordinator counts the organisation's applications; anyone else, and a coordinator's team
    filter, only those of the listed cases of a member's team, cases of the viewer's organisation
    (an application belongs to its case's organisation). A member's cases are a few hundred at
    most: listed, they reach the applications by `application_case_outcome_idx`, never by a read
    of the organisation's every application (SQLite without fresh statistics chose that).
    """
    cases: set[uuid.UUID] | None = None
    if viewer.role != Role.COORDINATOR:
        cases = _team_cases(viewer, viewer)
    if filters.member is not None:
        theirs = _team_cases(viewer, filters.member)
        cases = theirs if cases is None else cases & theirs
    if cases is None:
        rows = Application.objects.filter(organisation_id=viewer.organisation_id)
    else:
        rows = Application.objects.filter(case_id__in=sorted(cases))
    if filters.since is not None:
        rows = rows.filter(submitted_month__gte=filters.since.replace(day=1))
    if filters.until is not None:
        rows = rows.filter(submitted_month__lte=filters.until.replace(day=1))
    return rows


def _team_cases(viewer: User, member: User) -> set[uuid.UUID]:
    """The cases of the viewer's organisation whose team `member` is on."""
    mine = TeamMember.objects.filter(user=member, case__organisation_id=viewer.organisation_id)
    return set(mine.values_list("case_id", flat=True))


def outcomes(viewer: User, filters: Filters) -> list[Row]:
    """One row per pathway with at least one submitted application, by destination and name."""
    rows: dict[int, Row] = {}
    applications = visible_applications(viewer, filters).filter(submitted_month__isnull=False)
    # One GROUP BY, answered from `application_outcome_idx`: a few thousand groups, not 100,000 rows.
    groups = applications.values_list("pathway_id", "status", "decision_days").annotate(n=Count("*")).order_by()
    for pathway_id, status, days, times in fetch_rows(groups):
        row = rows.get(pathway_id)
        if row is None:
            row = rows[pathway_id] = Row(pathway_id, "", "")
        row.submitted += times
        _count(row, status, days, times)
    _arrivals(viewer, applications, rows)
    _names(rows.values())
    return sorted(rows.values(), key=lambda row: (row.country, row.name))


def _count(row: Row, status: str, days: int | None, times: int) -> None:
    if status == Status.GRANTED:
        row.granted += times
    elif status == Status.REFUSED:
        row.refused += times
    elif status == Status.WITHDRAWN:
        row.withdrawn += times
    elif status in PENDING:
        row.pending += times
    if status in (Status.GRANTED, Status.REFUSED) and days is not None:
        row.to_decision.add(days, times)


def _arrivals(viewer: User, applications: QuerySet[Application], rows: dict[int, Row]) -> None:
    """Days from first request to arrival, for the pathway of each arrived case's (first) granted application.

    Driven from the organisation's arrivals (one per case, a few hundred), never from its every
    granted application: SQLite without fresh statistics read all of those to find the arrived few.
    """
    arrivals = Journey.objects.filter(case__organisation_id=viewer.organisation_id, days_to_arrival__isnull=False)
    days_of: dict[object, int] = dict(fetch_rows(arrivals.values_list("case_id", "days_to_arrival")))
    if not days_of:
        return
    granted = applications.filter(status=Status.GRANTED, case_id__in=arrivals.values("case_id"))
    seen: set[object] = set()
    for pathway_id, case_id in fetch_rows(granted.values_list("pathway_id", "case_id")):
        if case_id not in seen:
            seen.add(case_id)
            rows[pathway_id].to_arrival.add(days_of[case_id])


def _names(rows: Iterable[Row]) -> None:
    by_id = {row.pathway_id: row for row in rows}
    for pathway in Pathway.objects.filter(pk__in=list(by_id)).only("id", "country", "name"):
        by_id[pathway.pk].country = pathway.country
        by_id[pathway.pk].name = pathway.short_name


CSV_COLUMNS = (
    "destination",
    "pathway",
    "submitted",
    "granted",
    "refused",
    "withdrawn",
    "pending",
    "median_days_to_decision",
    "p90_days_to_decision",
    "decisions_with_days",
    "median_days_request_to_arrival",
    "p90_days_request_to_arrival",
    "arrivals",
    "small_sample",
)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == int(value) else f"{value:.1f}"


def csv_rows(rows: list[Row]) -> list[list[str]]:
    table = [list(CSV_COLUMNS)]
    for row in rows:
        table.append(
            [
                row.country,
                row.name,
                str(row.submitted),
                str(row.granted),
                str(row.refused),
                str(row.withdrawn),
                str(row.pending),
                _number(row.to_decision.median),
                _number(row.to_decision.p90),
                str(row.to_decision.count),
                _number(row.to_arrival.median),
                _number(row.to_arrival.p90),
                str(row.to_arrival.count),
                "yes" if row.small_sample else "no",
            ]
        )
    return table
