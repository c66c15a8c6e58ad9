"""bench/run.py finds the benchmarks (modules with run()) and leaves the 30-minute soak to `make soak`."""

from __future__ import annotations

from bench import run


def test_it_finds_every_benchmark_and_nothing_else() -> None:
    # baseline_settings is a settings module and _* are helpers: neither is a benchmark.
    assert run.discover() == [
        "backup",
        "blindindex",
        "brakes",
        "casepage",
        "flood",
        "intake",
        "login",
        "login_timing",
        "outcomes",
        "soak",
        "uploads",
        "workspace",
    ]


def test_make_bench_leaves_the_soak_to_make_soak() -> None:
    assert run.default_names(run.discover()) == [
        "backup",
        "blindindex",
        "brakes",
        "casepage",
        "flood",
        "intake",
        "login",
        "login_timing",
        "outcomes",
        "uploads",
        "workspace",
    ]
    assert run.parse_args(["soak"], run.discover()).names == ["soak"]


def test_readings_are_written_as_a_reader_expects() -> None:
    from bench._results import Row, Table, render_table

    table = Table("t", [Row("submissions", "submissions", 1, 18000.0), Row("memory", "MiB", 1, 118.4)])
    lines = render_table(table)
    assert "| submissions | 18,000 submissions |" in lines
    assert "| memory | 118.4 MiB |" in lines
