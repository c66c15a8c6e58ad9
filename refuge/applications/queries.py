"""Lists and counts over applications that decrypt nothing (the clear columns only)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.db import connections
from django.db.models import Count, QuerySet

from refuge.applications.advisor import History
from refuge.applications.models import Application, Journey, Status, TravelLeg
from refuge.cases.models import Case


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


def history_by_pathway(organisation_id: uuid.UUID) -> dict[int, History]:
    """Granted and refused counts and days to decision per pathway, for one organisation only.

    One GROUP BY over `application_outcome_idx` (about 12,000 groups for 100,000 applications),
    read by the database driver's own cursor: built as Django rows, those groups cost the
    advisor most of its time (BENCHMARKS.md, "outcomes"). The days stay counted, not listed.
    """
    granted: dict[int, int] = defaultdict(int)
    refused: dict[int, int] = defaultdict(int)
    days: dict[int, dict[int, int]] = defaultdict(dict)
    groups = (
        Application.objects.filter(organisation_id=organisation_id, status__in=[Status.GRANTED, Status.REFUSED])
        .values_list("pathway_id", "status", "decision_days")
        .annotate(n=Count("*"))
        .order_by()
    )
    sql, params = groups.query.sql_with_params()
    with connections[groups.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for pathway_id, status, decision_days, times in rows:
        if status == Status.GRANTED:
            granted[pathway_id] += times
        else:
            refused[pathway_id] += times
        if decision_days is not None:
            counted = days[pathway_id]
            counted[decision_days] = counted.get(decision_days, 0) + times
    return {
        pathway_id: History(
            granted=granted[pathway_id],
            refused=refused[pathway_id],
            day_counts=tuple(sorted(days[pathway_id].items())),
        )
        for pathway_id in set(granted) | set(refused)
    }


def journey_of(case: Case) -> Journey | None:
    """The case's departure and arrival months (clear columns), if any is recorded."""
    return Journey.objects.filter(case=case).only("case_id", "departed_month", "arrived_month").first()


def legs_count(case: Case) -> int:
    return TravelLeg.objects.filter(case=case).count()
