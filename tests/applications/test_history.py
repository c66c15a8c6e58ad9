"""The organisation's history per pathway, as the advisor reads it from the clear columns."""

from __future__ import annotations

import pytest

from refuge.applications.models import Application, Status
from refuge.applications.queries import history_by_pathway
from refuge.applications.tally import recount
from refuge.cases.models import Person
from refuge.relocation.models import Pathway
from tests.personas import World, world  # noqa: F401
from tests.workspace.people_support import open_case

pytestmark = pytest.mark.django_db


def test_the_history_counts_the_decided_applications_of_one_organisation_only(
    world: World,  # noqa: F811
) -> None:
    case = open_case(world)
    person = Person.objects.get(case=case)
    first, second = Pathway.objects.order_by("pk").values_list("pk", flat=True)[:2]
    made = [
        (world.north.pk, first, Status.GRANTED, 10),
        (world.north.pk, first, Status.GRANTED, 30),
        (world.north.pk, first, Status.GRANTED, 30),
        (world.north.pk, first, Status.REFUSED, 20),
        (world.north.pk, first, Status.REFUSED, None),  # decided before the days were kept
        (world.north.pk, second, Status.SUBMITTED, None),
        (world.north.pk, second, Status.WITHDRAWN, 5),
        (world.south.pk, second, Status.GRANTED, 7),  # another organisation's: never counted
    ]
    Application.objects.bulk_create(
        Application(
            organisation_id=organisation,
            case=case,
            person=person,
            pathway_id=pathway,
            key=case.key,
            status=status,
            decision_days=days,
            details=b"\0",
        )
        for organisation, pathway, status, days in made
    )
    recount(world.north.pk)  # written in bulk, so counted as the migration counted what was stored
    recount(world.south.pk)
    history = history_by_pathway(world.north.pk)
    assert set(history) == {first}
    counted = history[first]
    assert (counted.granted, counted.refused, counted.day_counts) == (3, 2, ((10, 1), (20, 1), (30, 2)))
    assert counted.median_days == 25
