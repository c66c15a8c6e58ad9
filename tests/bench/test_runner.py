"""bench/run.py finds the benchmarks (modules with run()) and leaves the 30-minute soak to `make soak`."""

from __future__ import annotations

from bench import run


def test_it_finds_every_benchmark_and_nothing_else() -> None:
    # baseline_settings is a settings module and _* are helpers: neither is a benchmark.
    assert run.discover() == ["intake", "login", "soak", "workspace"]


def test_the_soak_runs_only_when_named() -> None:
    assert run.SEPARATE == {"soak"}
    args = run.parse_args(["soak"], run.discover())
    assert args.names == ["soak"]
