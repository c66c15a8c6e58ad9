"""Budgets kept as whole units of the case's currency become minor units (cases 0011), exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from refuge.cases.actions.details import do_edit_case
from refuge.cases.models import Case
from tests.personas import World
from tests.workspace.people_support import open_case, ring

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("cases", "0010_compartment_files")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _migrate_latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def latest_schema_after() -> Iterator[None]:
    """Whatever happens, leave the database at the latest schema for the tests that follow."""
    yield
    _migrate_latest()


def _old_budget(case: Case, budget: int | None, currency: str) -> None:
    """What the old code wrote: a whole number of the case's currency, or nothing."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_case SET budget = %s, currency = %s WHERE id = %s", [budget, currency, case.pk.hex]
        )


def _set_budget(world: World, case: Case, minor: int | None) -> None:
    current = Case.objects.get(pk=case.pk)
    do_edit_case(
        actor=world.bob.user,
        keyring=ring(world.bob),
        case=current,
        version=current.version,
        priority=current.priority,
        pathway=None,
        budget_minor=minor,
        currency=current.currency,
        summary=None,
    )


def test_whole_budgets_become_minor_units_exactly(world: World, client_for, latest_schema_after: None) -> None:
    roubles, euros, none, largest = (open_case(world) for _ in range(4))
    _migrate(BEFORE)
    _old_budget(roubles, 1500, "RUB")
    _old_budget(euros, 0, "EUR")
    _old_budget(none, None, "USD")
    _old_budget(largest, 10_000_000, "GEL")
    _migrate_latest()

    found = {case.pk: (case.budget_minor, case.currency) for case in Case.objects.all()}
    assert found[roubles.pk] == (150_000, "RUB")
    assert found[euros.pk] == (0, "EUR")
    assert found[none.pk] == (None, "USD")
    assert found[largest.pk] == (1_000_000_000, "GEL")
    page = client_for(world.bob).get(f"/cases/{roubles.pk}/").content.decode()
    assert "1,500.00 RUB" in page
    edit = client_for(world.bob).get(f"/cases/{roubles.pk}/edit/").content.decode()
    assert 'value="1,500.00"' in edit


def test_going_back_keeps_whole_budgets_and_stops_rather_than_lose_cents(
    world: World, latest_schema_after: None
) -> None:
    whole, cents = open_case(world), open_case(world)
    _set_budget(world, whole, 250_000)
    _set_budget(world, cents, 150_050)
    with pytest.raises(RuntimeError, match="only whole amounts"):
        _migrate(BEFORE)
    assert Case.objects.get(pk=cents.pk).budget_minor == 150_050  # nothing half-undone

    _set_budget(world, cents, None)
    _migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, budget FROM cases_case")
        budgets = {str(row_id).replace("-", ""): budget for row_id, budget in cursor.fetchall()}
    assert budgets[whole.pk.hex] == 2500 and budgets[cents.pk.hex] is None


def test_a_budget_in_a_currency_it_does_not_know_stops_the_migration(world: World, latest_schema_after: None) -> None:
    case = open_case(world)
    _migrate(BEFORE)
    _old_budget(case, 70, "XBT")
    with pytest.raises(RuntimeError, match="does not know"):
        _migrate_latest()
    _old_budget(case, 70, "EUR")


def test_the_previous_release_keeps_reading_a_budget_in_whole_units(world: World) -> None:
    """During an upgrade the previous release runs beside this one and reads `budget`: kept, and written."""
    case = open_case(world)
    _set_budget(world, case, 150_075)
    with connection.cursor() as cursor:
        cursor.execute("SELECT budget, budget_minor FROM cases_case WHERE id = %s", [case.pk.hex])
        assert cursor.fetchone() == (1500, 150_075)
    _set_budget(world, case, None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT budget, budget_minor FROM cases_case WHERE id = %s", [case.pk.hex])
        assert cursor.fetchone() == (None, None)
