"""docs/audit.md stays true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from refuge.audit.actions import CHECKPOINT_EVERY
from refuge.audit.codes import registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def documented_codes() -> dict[int, str]:
    rows = re.findall(r"^\| (\d+) \| ([A-Z_]+) \|", DOC.read_text(), flags=re.MULTILINE)
    return {int(code): name for code, name in rows}


def documented_blocks() -> dict[int, str]:
    rows = re.findall(r"^\| (\d+) \| \d+–\d+ \| ([a-z_]+)", DOC.read_text(), flags=re.MULTILINE)
    return {int(block): app for block, app in rows if block != "999"}


def test_every_event_code_is_documented_with_its_name() -> None:
    # Every code any app declared (the test app's block aside), the first numbering included.
    expected = {event.code: event.name for event in registry if event.app != "audit_testapp"}

    assert documented_codes() == expected, "add the new audit event to the table in docs/audit.md"


def test_every_claimed_block_is_in_the_block_table_with_its_app() -> None:
    blocks = documented_blocks()
    claimed = {block: app for block, app in registry.blocks().items() if app != "audit_testapp"}

    for block, app in claimed.items():
        if block:
            assert blocks.get(block) == app, f"add block {block} ({app}) to the block table in docs/audit.md"
    for event in registry:
        if event.code < 1000:
            assert f"| {event.code // 100}00–{event.code // 100}99 | {event.app}" in DOC.read_text()


def test_the_documented_checkpoint_interval_is_the_real_one() -> None:
    assert f"a multiple of {CHECKPOINT_EVERY}," in DOC.read_text()
