"""Expenses recorded as whole units of the case's currency become minor units with their currency (cases 0008)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from refuge.cases.actions.expenses import do_add_expense
from refuge.cases.models import Case, Expense
from tests.personas import World
from tests.workspace.people_support import open_case, ring

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = ("cases", "0007_blind_index_v2")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _migrate_latest() -> None:
    """Every app's latest migration (cases 0008 among them): going back to 0007 also unapplied
    what depends on 0008 (applications, later cases migrations), which the pages need."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def latest_schema_after() -> Iterator[None]:
    """Whatever happens, leave the database at the latest schema for the tests that follow."""
    yield
    _migrate_latest()


def _expense(world: World, case: Case, minor: int, currency: str) -> Expense:
    return do_add_expense(
        actor=world.bob.user,
        keyring=ring(world.bob),
        case=case,
        category="travel",
        amount_minor=minor,
        currency=currency,
        spent_on=timezone.localdate(),
        note="bus",
    )


def test_whole_amounts_in_the_cases_currency_survive_the_migration(
    world: World, client_for, latest_schema_after: None
) -> None:
    roubles, euros = open_case(world), open_case(world)
    Case.objects.filter(pk=roubles.pk).update(currency="RUB")
    first, second = _expense(world, roubles, 4000, "RUB"), _expense(world, roubles, 1200, "RUB")
    third = _expense(world, euros, 7500, "EUR")

    _migrate(BEFORE)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, amount FROM cases_expense")
        old = {str(row_id).replace("-", ""): (row_id, amount) for row_id, amount in cursor.fetchall()}
        assert sorted(amount for _, amount in old.values()) == [12, 40, 75]
        # What the old code wrote: a whole number of roubles, nothing else.
        cursor.execute("UPDATE cases_expense SET amount = 1234567 WHERE id = %s", [old[first.pk.hex][0]])
    _migrate_latest()

    assert Expense.objects.get(pk=first.pk).amount_minor == 123456700
    assert (Expense.objects.get(pk=second.pk).amount_minor, Expense.objects.get(pk=second.pk).currency) == (1200, "RUB")
    assert (Expense.objects.get(pk=third.pk).amount_minor, Expense.objects.get(pk=third.pk).currency) == (7500, "EUR")
    page = client_for(world.bob).get(f"/cases/{roubles.pk}/").content.decode()
    assert "1,234,567.00 RUB" in page and "12.00 RUB" in page


def test_going_back_stops_rather_than_lose_cents(world: World, latest_schema_after: None) -> None:
    case = open_case(world)
    _expense(world, case, 1250, "EUR")
    with pytest.raises(RuntimeError, match="only whole amounts"):
        _migrate(BEFORE)
    assert Expense.objects.get().amount_minor == 1250  # nothing half-undone
