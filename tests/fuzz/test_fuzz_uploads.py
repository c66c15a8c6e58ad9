"""The upload fuzzer (tests/fuzz/fuzz_uploads.py) runs 2,000 inputs without a crash."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZER = ROOT / "tests" / "fuzz" / "fuzz_uploads.py"
CORPUS = ROOT / "tests" / "corpus" / "uploads"
RUNS = 2_000


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris has wheels for Linux x86-64 only")
def test_the_fuzzer_finds_no_crash(tmp_path: Path) -> None:
    work = tmp_path / "work"  # libFuzzer writes the inputs it finds here, never into the corpus
    work.mkdir()
    seeds = tmp_path / "seeds"
    shutil.copytree(CORPUS, seeds)
    result = subprocess.run(
        [
            sys.executable,
            str(FUZZER),
            f"-runs={RUNS}",
            "-seed=1",
            "-timeout=10",  # seconds for one input: a hang is a crash
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
            str(work),
            str(seeds),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    crashes = sorted(path.name for path in tmp_path.iterdir() if path.is_file())
    assert result.returncode == 0 and crashes == [], result.stderr[-4000:]
    assert f"Done {RUNS} runs" in result.stderr
