"""A short `bench/run.py flood`: the junk flood, the real requesters beside it, and the inbox afterwards."""

from __future__ import annotations

import pytest

from bench import flood
from bench._databases import SQLITE


@pytest.mark.slow
def test_real_requesters_get_through_a_short_flood_and_are_found_in_the_inbox(monkeypatch) -> None:
    monkeypatch.setattr(flood, "SECONDS", 6.0)
    monkeypatch.setattr(flood, "FLOOD_CLIENTS", 8)
    table, checks, _notes = flood.measure(SQLITE)
    rows = {row.name: row.median for row in table.rows}
    real = rows["real requests sent and opened with their receipt"]
    assert real >= 1 and rows["real requests that failed"] == 0
    assert rows["real receipt checks that opened the request"] >= 1
    assert rows["random receipts tried (phase 2)"] > 0
    # Every acknowledged request, junk and real, is in the inbox, and the real ones were found in it.
    assert rows["requests in the inbox afterwards"] == rows["junk requests accepted (phase 1)"] + real
    assert 1 <= rows["best place of a real request in the inbox order"] <= rows["requests in the inbox afterwards"]
    assert [check.requirement for check in checks][:2] == [
        "SQLite: every real requester submits and opens the request under the flood",
        "SQLite: every real receipt check opens the request under a receipt flood",
    ]
