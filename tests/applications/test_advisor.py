"""The advisor's exclusions and order, against orders computed by hand (no database).

Wilson lower bounds (95 %, z = 1.96), computed by hand for the cases below:
  40 of 50 granted: 0.670    20 of 50: 0.276    5 of 5: 0.566    1 of 1: 0.207
  0 of 1: 0 (upper bound 0.793)                 nothing decided: 0 (upper bound 1)
"""

from __future__ import annotations

import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refuge.applications.advisor import (
    Candidate,
    Facts,
    History,
    advise,
    order_of,
    weighted_median,
    wilson_interval,
)

INSIDE_WITH_PASSPORT = Facts(outside_origin=False, international_passport=True, family_tie=False)


def _p(
    pid: int,
    country: str = "X",
    name: str = "",
    requirements: tuple[str, ...] = (),
    days: int | None = None,
    checklist: tuple[str, ...] = (),
) -> Candidate:
    return Candidate(
        id=pid,
        country=country,
        name=name or f"P{pid}",
        requirements=requirements,
        checklist=checklist,
        processing_days=days,
    )


def _history(granted: int, refused: int, days: tuple[int, ...] = ()) -> History:
    return History(granted=granted, refused=refused, days=days)


@pytest.mark.parametrize(
    ("granted", "trials", "low", "high"),
    [
        (40, 50, 0.670, 0.888),
        (20, 50, 0.276, 0.538),
        (5, 5, 0.566, 1.0),
        (1, 1, 0.207, 1.0),
        (0, 1, 0.0, 0.793),
        (0, 0, 0.0, 1.0),
    ],
)
def test_the_wilson_interval_matches_hand_computation(granted: int, trials: int, low: float, high: float) -> None:
    computed = wilson_interval(granted, trials)
    assert computed == pytest.approx((low, high), abs=0.001)


def test_history_orders_by_lower_bound_so_one_grant_does_not_beat_a_long_record() -> None:
    pathways = [_p(1, days=30), _p(2), _p(3), _p(4, days=30), _p(5, days=90), _p(6), _p(7)]
    history = {
        1: _history(1, 0),  # 1 of 1: 0.207
        2: _history(40, 10),  # 40 of 50: 0.670
        3: _history(20, 30),  # 20 of 50: 0.276
        7: _history(0, 1),  # 0 of 1: lower 0, upper 0.793: after every pathway with no record
    }
    advice = advise(pathways, Facts(), history)
    # 2 (0.670), 3 (0.276), 1 (0.207); then no record: 4 (30 days), 5 (90), 6 (no typical time); then 7.
    assert order_of(advice) == [2, 3, 1, 4, 5, 6, 7]
    assert [item.history.small_sample for item in advice.ranked] == [False, False, True, True, True, True, True]


def test_equal_bounds_go_by_median_days_then_catalogue_days() -> None:
    pathways = [_p(1, days=10), _p(2, days=10), _p(3, days=5)]
    history = {1: _history(1, 0, (40,)), 2: _history(1, 0, (20,)), 3: _history(1, 0)}
    # All 1 of 1 (0.207): 2 (median 20) before 1 (median 40) before 3 (no days recorded).
    assert order_of(advise(pathways, Facts(), history)) == [2, 1, 3]
    assert advise(pathways, Facts(), history).ranked[0].history.median_days == 20


def test_full_ties_fall_back_to_fewer_unknown_requirements_then_country_and_name() -> None:
    pathways = [
        _p(1, country="Latvia", name="B", requirements=("hrd_status",), days=60),
        _p(2, country="Latvia", name="A", requirements=("hrd_status",), days=60),
        _p(3, country="France", name="Z", requirements=("hrd_status", "referral_partner"), days=60),
        _p(4, country="Germany", name="Y", days=60),
    ]
    advice = advise(pathways, INSIDE_WITH_PASSPORT, {})
    # No unknowns (4), then one unknown each (Latvia A before Latvia B), then two unknowns (3).
    assert order_of(advice) == [4, 2, 1, 3]
    assert advice.ranked[-1].unknown == ("hrd_status", "referral_partner")


def test_contradicted_requirements_exclude_with_every_reason_and_unknown_ones_stay() -> None:
    pathways = [
        _p(1, country="Canada", name="GAR", requirements=("outside_origin", "referral_partner")),
        _p(2, country="Lithuania", name="Humanitarian visa", requirements=("international_passport",)),
        _p(3, country="Iceland", name="Family", requirements=("outside_origin", "family_tie")),
        _p(4, country="Canada", name="HRD stream", requirements=("hrd_status",)),
    ]
    advice = advise(pathways, INSIDE_WITH_PASSPORT, {})
    assert order_of(advice) == [2, 4]
    assert {item.pathway.id: item.reasons for item in advice.excluded} == {
        1: ("outside_origin",),
        3: ("outside_origin", "family_tie"),
    }
    assert advice.ranked[1].unknown == ("hrd_status",)


def test_a_family_tie_counts_only_in_the_countries_it_is_in() -> None:
    facts = Facts(family_tie=True, family_countries=frozenset({"germany"}))
    pathways = [
        _p(1, country="Germany", requirements=("family_tie",)),
        _p(2, country="France", requirements=("family_tie",)),
    ]
    advice = advise(pathways, facts, {})
    assert order_of(advice) == [1]
    assert advice.excluded[0].reasons == ("family_tie",)


def test_documents_already_ready_for_the_person_are_not_listed_to_prepare() -> None:
    pathway = _p(1, checklist=("International passport", "Statement of persecution"))
    advice = advise([pathway], Facts(), {}, ready=["international PASSPORT"])
    assert advice.ranked[0].to_prepare == ("Statement of persecution",)


def test_zero_one_and_fifty_past_applications() -> None:
    pathways = [_p(1, days=20), _p(2, days=200), _p(3, days=100)]
    history = {2: _history(1, 0, (150,)), 3: _history(45, 5, tuple(range(50, 100)))}
    advice = advise(pathways, Facts(), history)
    # 45 of 50 (lower 0.786) before 1 of 1 (0.207) before nothing decided, whatever the catalogue says.
    assert order_of(advice) == [3, 2, 1]
    by_id = {item.pathway.id: item.history for item in advice.ranked}
    assert (by_id[1].decided, by_id[1].rate, by_id[1].small_sample) == (0, None, True)
    assert (by_id[2].decided, by_id[2].rate, by_id[2].median_days) == (1, 1.0, 150)
    assert (by_id[3].decided, by_id[3].rate, by_id[3].small_sample, by_id[3].median_days) == (50, 0.9, False, 74.5)
    assert by_id[3].interval[0] == pytest.approx(0.786, abs=0.001)


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=60))
def test_the_median_of_counted_days_is_the_median_of_the_days(days: list[int]) -> None:
    """The database hands the advisor each number of days with how many took it, never the list."""
    counted = tuple(sorted(Counter(days).items()))
    assert weighted_median(counted) == statistics.median(days)
    assert History(granted=1, day_counts=counted).median_days == History(granted=1, days=tuple(days)).median_days


def test_counted_days_rank_as_listed_days_do() -> None:
    pathways = [_p(1), _p(2)]
    listed = {1: _history(3, 1, (10, 10, 40, 90)), 2: _history(3, 1, (10, 30, 30, 30))}
    counted = {
        1: History(granted=3, refused=1, day_counts=((10, 2), (40, 1), (90, 1))),
        2: History(granted=3, refused=1, day_counts=((10, 1), (30, 3))),
    }
    # Equal grant records: the shorter median (25 against 30) goes first, either way.
    assert order_of(advise(pathways, Facts(), listed)) == order_of(advise(pathways, Facts(), counted)) == [1, 2]
