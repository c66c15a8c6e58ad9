"""The organisation's decided applications counted per pathway and days to decision (DecisionCount).

`count_change` runs in the transaction of every status change, and `forget_case` in the one that
shreds a case, so the counts move with the applications or not at all; `recount` rebuilds an
organisation's counts from its applications (as the migration that first filled them did);
`recounted` is what the counts must equal, for the tests and the crash suite's check.
"""

from __future__ import annotations

import uuid
from collections import Counter

from django.db import IntegrityError, transaction
from django.db.models import Count, F

from refuge.applications.models import UNKNOWN_DAYS, Application, DecisionCount, Status

COUNTED = {Status.GRANTED.value: "granted", Status.REFUSED.value: "refused"}


def count_change(application: Application, before: tuple[str, int | None], after: tuple[str, int | None]) -> None:
    """Move the counts from the application's (status, days) before a change to after it."""
    if before == after:
        return
    _add(application, *before, step=-1)
    _add(application, *after, step=1)


def _add(application: Application, status: str, days: int | None, step: int) -> None:
    column = COUNTED.get(status)
    if column is None:
        return
    key = {
        "organisation_id": application.organisation_id,
        "pathway_id": application.pathway_id,
        "days": UNKNOWN_DAYS if days is None else days,
    }
    if DecisionCount.objects.filter(**key).update(**{column: F(column) + step}):
        return
    try:
        with transaction.atomic():  # a savepoint: a concurrent first count of the same days wins the insert
            DecisionCount.objects.create(**key, **{column: step})
    except IntegrityError:
        DecisionCount.objects.filter(**key).update(**{column: F(column) + step})


def forget_case(case_id: uuid.UUID) -> None:
    """Take a case's decided applications out of the counts, in the transaction that deletes them (shredding)."""
    for application in Application.objects.filter(case_id=case_id, status__in=list(COUNTED)).only(
        "organisation_id", "pathway_id", "status", "decision_days"
    ):
        _add(application, application.status, application.decision_days, step=-1)


def recounted(organisation_id: uuid.UUID) -> dict[tuple[int, int], tuple[int, int]]:
    """(pathway, days) -> (granted, refused), counted from the organisation's applications."""
    counts: Counter[tuple[int, int, str]] = Counter()
    groups = (
        Application.objects.filter(organisation_id=organisation_id, status__in=list(COUNTED))
        .values_list("pathway_id", "decision_days", "status")
        .annotate(n=Count("*"))
        .order_by()
    )
    for pathway_id, days, status, times in groups:
        counts[(pathway_id, UNKNOWN_DAYS if days is None else days, status)] += times
    found: dict[tuple[int, int], tuple[int, int]] = {}
    for pathway_id, days, _status in counts:
        found[(pathway_id, days)] = (
            counts[(pathway_id, days, Status.GRANTED.value)],
            counts[(pathway_id, days, Status.REFUSED.value)],
        )
    return found


def stored(organisation_id: uuid.UUID) -> dict[tuple[int, int], tuple[int, int]]:
    """The kept counts, without the rows that went back to zero."""
    rows = DecisionCount.objects.filter(organisation_id=organisation_id).values_list(
        "pathway_id", "days", "granted", "refused"
    )
    return {(pathway_id, days): (granted, refused) for pathway_id, days, granted, refused in rows if granted or refused}


def recount(organisation_id: uuid.UUID) -> None:
    """Replace the organisation's counts by a count of its applications (in the caller's transaction)."""
    with transaction.atomic():
        DecisionCount.objects.filter(organisation_id=organisation_id).delete()
        DecisionCount.objects.bulk_create(
            DecisionCount(organisation_id=organisation_id, pathway_id=pathway_id, days=days, granted=g, refused=r)
            for (pathway_id, days), (g, r) in recounted(organisation_id).items()
        )
