"""page_of_cases: the same pages, in the same order, whichever way the ids are read."""

from __future__ import annotations

import datetime

import pytest

from refuge.cases import queries
from refuge.cases.actions.opening import do_accept_request
from refuge.cases.models import Case
from refuge.cases.queries import CaseFilters, case_list, is_a_members_list, page_of_cases
from refuge.intake.actions.submissions import do_submit_request
from refuge.keyring.keyring import Keyring
from tests.personas import World


@pytest.fixture
def seven_cases(world: World) -> list[Case]:
    made = []
    for index in range(7):
        submission = do_submit_request(
            organisation=world.north, answers={"what_happened": f"request {index}"}, urgency="soon", language="en"
        )
        made.append(
            do_accept_request(
                actor=world.ivan.user,
                keyring=Keyring(world.ivan.refresh().user, world.ivan.private_key),
                request=submission.request,
                team=[world.bob.user],
                priority=["emergency", "urgent", "normal"][index % 3],
            )
        )
    return made


def pages(cases, *, bounded: bool) -> list[tuple[int, int, list[str]]]:  # type: ignore[no-untyped-def]
    found = []
    for number in (1, 2, 3, 99, "x"):
        page, shown = page_of_cases(cases, 3, number, bounded=bounded)
        found.append((page.number, page.paginator.count, [case.reference for case in shown]))
    return found


@pytest.mark.parametrize("limit", [queries.MAX_IDS_IN_MEMORY, 5])
def test_a_members_list_read_whole_pages_like_the_counted_one(
    world: World, seven_cases: list[Case], monkeypatch: pytest.MonkeyPatch, limit: int
) -> None:
    # limit 5: more cases than fit, so the bounded list falls back to counting.
    monkeypatch.setattr(queries, "MAX_IDS_IN_MEMORY", limit)
    bob = world.bob.refresh().user
    cases = case_list(bob, CaseFilters(), datetime.date.today())
    in_order = [case.reference for case in cases]

    whole = pages(cases, bounded=True)

    assert whole == pages(cases, bounded=False)
    assert [reference for _n, _c, shown in whole[:3] for reference in shown] == in_order
    assert whole[0][1] == 7 and whole[3] == whole[2] and whole[4] == whole[0]


def test_who_gets_a_members_list(world: World) -> None:
    bob, alice = world.bob.refresh().user, world.alice.refresh().user
    assert is_a_members_list(bob, CaseFilters())
    assert not is_a_members_list(alice, CaseFilters())
    assert is_a_members_list(alice, CaseFilters(mine=True))
    assert is_a_members_list(alice, CaseFilters(member=bob.pk))
