"""One answer for every miss when an object is fetched by the id a URL carries."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from refuge.accounts.models import User
from refuge.core.lookup import by_id_or_404, uuid_or_404
from tests.personas import World


def test_an_id_inside_the_scope_gives_its_row(world: World) -> None:
    north = User.objects.filter(organisation=world.north)
    assert by_id_or_404(north, str(world.bob.user.pk)) == world.bob.user
    assert by_id_or_404(north, world.bob.user.pk, username="bob") == world.bob.user


@pytest.mark.parametrize("wanted", ["not-an-id", "", "1' OR '1'='1", "0" * 33, "charlie", "missing"])
def test_a_malformed_a_missing_and_someone_elses_id_are_the_same_404(world: World, wanted: str) -> None:
    ids = {"charlie": str(world.charlie.user.pk), "missing": str(uuid.uuid4())}
    north = User.objects.filter(organisation=world.north)
    with pytest.raises(Http404) as refused:
        by_id_or_404(north, ids.get(wanted, wanted))
    assert str(refused.value) == ""  # nothing says which kind of miss it was


def test_a_row_that_fails_the_extra_condition_is_a_404(world: World) -> None:
    with pytest.raises(Http404):
        by_id_or_404(User.objects.all(), world.bob.user.pk, username="bella")


def test_the_id_can_be_another_column(world: World) -> None:
    # As a team row is reached by its member's id.
    assert by_id_or_404(User.objects.all(), world.bob.user.pk, id_field="pk") == world.bob.user


def test_uuid_or_404_parses_or_refuses() -> None:
    value = uuid.uuid4()
    assert uuid_or_404(str(value)) == value
    assert uuid_or_404(value) == value
    with pytest.raises(Http404):
        uuid_or_404("zz")
