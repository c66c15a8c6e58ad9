"""bench/run.py finds the benchmarks (modules with run()) and leaves the 30-minute soak to `make soak`."""

from __future__ import annotations

from bench import run


def test_it_finds_every_benchmark_and_nothing_else() -> None:
    # baseline_settings is a settings module and _* are helpers: neither is a benchmark.
    assert run.discover() == ["intake", "login", "soak", "workspace"]


def test_make_bench_leaves_the_soak_to_make_soak() -> None:
    assert run.default_names(run.discover()) == ["intake", "login", "workspace"]
    assert run.parse_args(["soak"], run.discover()).names == ["soak"]
