"""The advisor's decision counts (refuge/applications/tally.py) always equal a recount of the applications.

The status action moves them in each change's transaction (a refusal appealed and then granted
moves one count from refused to granted), shredding a case takes its applications out, a refused
change moves nothing, and the migration that first filled them counts what was already stored.
"""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import transaction

from refuge.applications.actions import do_change_status, do_start_application
from refuge.applications.details import Decision
from refuge.applications.models import UNKNOWN_DAYS, Application, DecisionCount
from refuge.applications.queries import history_by_pathway
from refuge.applications.tally import forget_case, recount, recounted, stored
from refuge.cases.models import Case
from refuge.core.errors import UserError
from refuge.relocation.models import Pathway
from refuge.retention.shred import shred_rows
from tests.personas import World, world  # noqa: F401
from tests.workspace.people_support import open_case, requester_of, ring

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()


def _ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def _apply(world: World, case: Case, country: str, *steps: tuple[str, int]) -> Application:  # noqa: F811
    bob = world.bob.refresh().user
    application = do_start_application(
        actor=bob,
        keyring=ring(world.bob),
        case=case,
        person=requester_of(case),
        pathway=Pathway.objects.get(country=country),
    )
    for status, ago in steps:
        application = _step(world, application, status, ago)
    return application


def _step(world: World, application: Application, status: str, ago: int) -> Application:  # noqa: F811
    return do_change_status(
        actor=world.bob.refresh().user,
        keyring=ring(world.bob),
        application=application,
        status=status,
        on=_ago(ago),
        decision=Decision(),
    )


def _same(world: World) -> None:  # noqa: F811
    assert stored(world.north.pk) == recounted(world.north.pk)


def test_every_status_change_keeps_the_counts_equal_to_a_recount(world: World) -> None:  # noqa: F811
    case = open_case(world)
    lithuania = Pathway.objects.get(country="Lithuania").pk
    _apply(world, case, "Lithuania", ("submitted", 40), ("refused", 12))
    _same(world)
    appealed = _apply(world, case, "Lithuania", ("submitted", 50), ("refused", 30))
    assert stored(world.north.pk) == {(lithuania, 28): (0, 1), (lithuania, 20): (0, 1)}
    appealed = _step(world, appealed, "appeal", 20)
    _same(world)
    assert stored(world.north.pk) == {(lithuania, 28): (0, 1)}
    _step(world, appealed, "granted", 10)  # 40 days after its submission
    _same(world)
    _apply(world, case, "Lithuania", ("withdrawn", 5))  # never submitted, withdrawn: not counted
    _apply(world, case, "Latvia", ("submitted", 9), ("interview", 5))  # pending: not counted
    _same(world)
    latvia = Pathway.objects.get(country="Latvia").pk
    assert stored(world.north.pk) == {(lithuania, 28): (0, 1), (lithuania, 40): (1, 0)}
    history = history_by_pathway(world.north.pk)
    assert set(history) == {lithuania} and latvia not in history
    assert (history[lithuania].granted, history[lithuania].refused, history[lithuania].median_days) == (1, 1, 34)


def test_a_refused_change_moves_no_count(world: World) -> None:  # noqa: F811
    case = open_case(world)
    granted = _apply(world, case, "Lithuania", ("submitted", 20), ("granted", 10))
    before = stored(world.north.pk)
    with pytest.raises(UserError):
        _step(world, granted, "refused", 5)  # a grant is final
    assert stored(world.north.pk) == before == recounted(world.north.pk)


def test_shredding_a_case_takes_its_applications_out_of_the_counts(world: World) -> None:  # noqa: F811
    kept = open_case(world)
    shredded = open_case(world)
    _apply(world, kept, "Lithuania", ("submitted", 20), ("granted", 10))
    _apply(world, shredded, "Lithuania", ("submitted", 20), ("granted", 10))
    _apply(world, shredded, "Latvia", ("submitted", 30), ("refused", 10))
    with transaction.atomic():  # as the retention job shreds a case (refuge/retention/actions.py)
        forget_case(shredded.pk)
        shred_rows([Case.objects.get(pk=shredded.pk)])
    _same(world)
    assert stored(world.north.pk) == {(Pathway.objects.get(country="Lithuania").pk, 10): (1, 0)}


def test_the_migration_and_a_recount_count_what_is_stored(world: World) -> None:  # noqa: F811
    case = open_case(world)
    _apply(world, case, "Lithuania", ("submitted", 20), ("granted", 10))
    _apply(world, case, "Lithuania", ("submitted", 30), ("refused", 10))
    # Decided before the days were kept (no submission day): counted, without days.
    Application.objects.filter(status="refused").update(decision_days=None)
    expected = recounted(world.north.pk)
    assert (Pathway.objects.get(country="Lithuania").pk, UNKNOWN_DAYS) in expected
    DecisionCount.objects.all().delete()
    migration = importlib.import_module("refuge.applications.migrations.0005_decision_counts_per_pathway")
    migration.fill(apps, None)
    assert stored(world.north.pk) == expected
    DecisionCount.objects.all().delete()
    recount(world.north.pk)
    assert stored(world.north.pk) == expected
