"""bench/compare.py reads back the medians the benchmarks write, and judges them against noise."""

from __future__ import annotations

from bench import compare
from bench._results import BenchResult, Row, Table, render_result


def section(medians_ms: dict[str, float]) -> str:
    rows = [Row.timings(name, [ms / 1000] * 3) for name, ms in medians_ms.items()]
    result = BenchResult("login", "Login", "target", "cmd", tables=[Table("SQLite: over HTTP", rows)])
    return "\n".join(render_result(result))


def test_it_reads_every_median_of_every_table_back():
    found = compare.medians(section({"GET /login/": 12.1, "POST /login/ → 302": 1207}))
    assert found == {("SQLite: over HTTP", "GET /login/"): 12.1, ("SQLite: over HTTP", "POST /login/ → 302"): 1207}


def test_each_side_is_the_median_of_its_rounds_and_the_ratio_is_after_over_before():
    before = [compare.medians(section({"GET": ms})) for ms in (10, 12, 30)]
    after = [compare.medians(section({"GET": ms})) for ms in (11, 13, 14)]
    [pair] = compare.compare("login", before, after)
    assert (pair.before, pair.after) == (12, 13)
    assert round(pair.ratio, 3) == round(13 / 12, 3)
    assert pair.ratio < compare.NOISE


def test_a_measurement_missing_on_one_side_is_not_compared():
    before = [compare.medians(section({"GET": 10, "only before": 5}))]
    after = [compare.medians(section({"GET": 10}))]
    assert [pair.measurement for pair in compare.compare("login", before, after)] == ["GET"]


def test_a_narrower_comparison_writes_its_own_section_and_keeps_the_whole_ones_rows() -> None:
    assert compare.section_name(["casepage", "workspace", "login", "intake"]) == "regression"
    assert compare.section_name(["casepage"]) == "regression_casepage"
    assert compare.section_name(["login", "intake"]) == "regression_login_intake"
