"""tests/fuzz/fuzz_audit_export.py (the witness export's line parser) runs 50,000 inputs without a crash.

A fixed seed, so CI runs the same inputs each time; `make fuzz` runs many more with a new seed.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from tests.fuzz.runner import run_fuzzer

RUNS = 50_000


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris has wheels for Linux x86-64 only")
def test_the_fuzzer_finds_no_crash(tmp_path: Path) -> None:
    # libFuzzer writes the inputs it finds into work/, never into tests/corpus.
    run = run_fuzzer("audit_export", runs=RUNS, work=tmp_path / "work", artifacts=tmp_path, seed=1, timeout=240)

    assert run.ok, run.failure
    assert f"Done {RUNS} runs" in run.output
