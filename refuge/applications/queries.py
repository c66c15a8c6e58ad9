"""Lists and counts over applications that decrypt nothing (the clear columns only)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from django.db.models import QuerySet

from refuge.applications.advisor import History
from refuge.applications.models import Application, Status
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
    """Granted and refused counts and days to decision per pathway, for one organisation only."""
    granted: dict[int, int] = defaultdict(int)
    refused: dict[int, int] = defaultdict(int)
    days: dict[int, list[int]] = defaultdict(list)
    rows = Application.objects.filter(
        organisation_id=organisation_id, status__in=[Status.GRANTED, Status.REFUSED]
    ).values_list("pathway_id", "status", "decision_days")
    for pathway_id, status, decision_days in rows.iterator(chunk_size=5000):
        if status == Status.GRANTED:
            granted[pathway_id] += 1
        else:
            refused[pathway_id] += 1
        if decision_days is not None:
            days[pathway_id].append(decision_days)
    return {
        pathway_id: History(granted=granted[pathway_id], refused=refused[pathway_id], days=tuple(days[pathway_id]))
        for pathway_id in set(granted) | set(refused)
    }
