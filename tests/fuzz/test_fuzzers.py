"""Every atheris harness in tests/fuzz runs its CI budget of inputs without a crash.

A fixed seed, so CI runs the same inputs each time; `make fuzz` runs many more with a new
seed (docs/development.md, "Fuzzing"). A harness without a budget here fails the build.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.fuzz.runner import harnesses, run_fuzzer

# Inputs per harness in CI: each well under a minute on two cores.
BUDGETS = {
    "audit_export": 50_000,  # witness-file lines for `refuge audit verify --witness`
    "receipts": 50_000,  # the receipt a requester types back
    "shares": 20_000,  # recovery shares typed in by their holders
    "uploads": 2_000,  # type detection and metadata stripping of uploaded files (slower per input)
}


def test_every_harness_has_a_budget() -> None:
    assert sorted(BUDGETS) == harnesses()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris has wheels for Linux x86-64 only")
@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_the_fuzzer_finds_no_crash(tmp_path: Path, name: str) -> None:
    runs = BUDGETS[name]
    # libFuzzer writes the inputs it finds into work/, never into tests/corpus.
    run = run_fuzzer(name, runs=runs, work=tmp_path / "work", artifacts=tmp_path, seed=1, timeout=300)

    assert run.ok, run.failure
    # libFuzzer stopped early without a finding (a signal ends it with status 0 and its final
    # stats, but without "Done"): the end of its output says why.
    assert f"Done {runs} runs" in run.output, run.output[-3000:]
