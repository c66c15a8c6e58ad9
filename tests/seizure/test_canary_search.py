"""The seizure search must be able to fail: it finds a canary in every encoding."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.support.seizure import find_canaries, seized_files

CANARY = "CANARY-Иван-passport-4510"


@pytest.mark.parametrize(
    "content",
    [
        CANARY.encode(),
        CANARY.lower().encode(),
        CANARY.upper().encode(),
        CANARY.encode("utf-16-le"),
        base64.b64encode(CANARY.encode()),
        CANARY.encode().hex().encode(),
    ],
    ids=["raw", "lower", "upper", "utf16", "base64", "hex"],
)
def test_a_planted_canary_is_found_whatever_its_encoding(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "refuge.sqlite3-wal").write_bytes(b"\x00junk" + content + b"junk\x00")
    hits = find_canaries(seized_files(tmp_path), {"name": CANARY})
    assert hits, "the search missed a planted canary"


def test_clean_files_give_no_hits(tmp_path: Path) -> None:
    (tmp_path / "db").write_bytes(b"nothing to see here" * 100)
    assert find_canaries(seized_files(tmp_path), {"name": CANARY}) == []
