"""Lists and counts over applications that decrypt nothing (the clear columns only)."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

from refuge.applications.advisor import History
from refuge.applications.models import UNKNOWN_DAYS, Application, DecisionCount
from refuge.cases.models import Case
from refuge.core.rows import date_from_sql


def applications_of_case(case: Case) -> QuerySet[Application]:
    """The case's applications with their pathway and person, for the case page's panel."""
    return (
        Application.objects.filter(case=case)
        .select_related("pathway", "person")
        .only(
            "id", "status", "submitted_month", "decided_month", "pathway__country", "pathway__name", "person__pseudonym"
        )
        .order_by("person__pseudonym", "pathway__country")
    )


def fetch_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """A `values_list` query's rows through the database driver's own cursor.

    For the outcome statistics' thousands of groups: built as Django rows they cost more than
    the database's work (BENCHMARKS.md, "outcomes"). Only for columns the driver already returns
    as Python wants them (integers, text, dates), no converters applied.
    """
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # e.g. `case_id__in` an empty list: Django itself would not ask the database
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def history_by_pathway(organisation_id: uuid.UUID) -> dict[int, History]:
    """Granted and refused counts and days to decision per pathway, for one organisation only.

    Read from the counts the status action keeps (DecisionCount, refuge/applications/tally.py): at
    most a few hundred rows per pathway, in the order of their unique index, whatever the number of
    applications; grouping the organisation's 60,000 decided applications of 100,000 instead cost
    the advisor most of its time (BENCHMARKS.md, "outcomes"). The days stay counted, not listed.
    """
    granted: dict[int, int] = defaultdict(int)
    refused: dict[int, int] = defaultdict(int)
    days: dict[int, list[tuple[int, int]]] = defaultdict(list)
    counts = (
        DecisionCount.objects.filter(organisation_id=organisation_id)
        .values_list("pathway_id", "days", "granted", "refused")
        .order_by("pathway_id", "days")
    )
    for pathway_id, decision_days, granted_times, refused_times in fetch_rows(counts):
        if not granted_times and not refused_times:
            continue
        granted[pathway_id] += granted_times
        refused[pathway_id] += refused_times
        if decision_days != UNKNOWN_DAYS:
            days[pathway_id].append((decision_days, granted_times + refused_times))
    return {
        pathway_id: History(
            granted=granted[pathway_id], refused=refused[pathway_id], day_counts=tuple(days[pathway_id])
        )
        for pathway_id in granted
    }


@dataclass(frozen=True)
class CaseTravel:
    """The case page's outline of applications and travel (clear columns): what the two panels show."""

    has_applications: bool
    departed_month: datetime.date | None  # of the Journey, when one is recorded
    arrived_month: datetime.date | None
    legs: int


# The applications panel's questions (refuge/workspace/panels.py, `CasePanel.asks`), for it and the
# journey panel: asked on every case page, where most cases have no application, journey or leg yet,
# in the one statement of every panel's questions (the ORM's three queries cost 3,500 Python calls
# to compile each time).
CASE_QUESTIONS = {
    "applications_any": "EXISTS (SELECT 1 FROM applications_application WHERE case_id = %(case)s)",
    "journey_departed": "SELECT departed_month FROM applications_journey WHERE case_id = %(case)s",
    "journey_arrived": "SELECT arrived_month FROM applications_journey WHERE case_id = %(case)s",
    "journey_legs": "SELECT COUNT(*) FROM applications_travelleg WHERE case_id = %(case)s",
}


def case_travel(answers: Mapping[str, Any]) -> CaseTravel:
    """The outline the two panels show, from `CASE_QUESTIONS` answered."""
    return CaseTravel(
        bool(answers["applications_any"]),
        date_from_sql(answers["journey_departed"]),
        date_from_sql(answers["journey_arrived"]),
        int(answers["journey_legs"]),
    )
