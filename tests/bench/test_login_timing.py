"""bench/login_timing.py judges "indistinguishable within noise" from the samples, and can say MISS."""

from __future__ import annotations

import random
import re

from bench.login_timing import report, slower_share


def _samples(shift: dict[str, float]) -> dict[str, list[float]]:
    noise = random.Random(5)
    kinds = ("normal", "duress", "wrong", "wrong_without_duress")
    return {kind: [0.3 * (1 + shift.get(kind, 0.0)) + noise.gauss(0, 0.01) for _ in range(60)] for kind in kinds}


def test_the_chance_of_telling_apart_is_a_coin_toss_for_the_same_times_and_certain_for_disjoint_ones() -> None:
    assert slower_share([1.0, 2.0], [1.0, 2.0]) == 0.5
    assert slower_share([3.0, 4.0], [1.0, 2.0]) == 1.0
    assert slower_share([1.0, 2.0], [3.0, 4.0]) == 0.0


def test_logins_of_the_same_time_pass_and_a_slower_duress_login_is_a_miss() -> None:
    tables, checks = report("SQLite", _samples({}), 60)
    assert [check.passed for check in checks] == [True, True, True]
    assert len(tables) == 2 and tables[0].rows[1].ratio is not None
    _, checks = report("SQLite", _samples({"duress": 0.08}), 60)
    assert [check.passed for check in checks] == [False, True, True]
    assert re.search(r"told apart (9\d|100)%", checks[0].measured), checks[0].measured
    # A wrong password answered faster is told apart as well as a slower one.
    _, checks = report("SQLite", _samples({"wrong": -0.06}), 60)
    assert [check.passed for check in checks] == [True, False, True]
