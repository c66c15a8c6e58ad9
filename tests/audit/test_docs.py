"""docs/audit.md stays true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from refuge.audit.actions import CHECKPOINT_EVERY
from refuge.audit.events import AuditEvent

DOC = Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def documented_codes() -> dict[int, str]:
    rows = re.findall(r"^\| (\d+) \| ([A-Z_]+) \|", DOC.read_text(), flags=re.MULTILINE)
    return {int(code): name for code, name in rows}


def test_every_event_code_is_documented_with_its_name() -> None:
    expected = {event.value: event.name for event in AuditEvent}

    assert documented_codes() == expected, "add the new AuditEvent to the table in docs/audit.md"


def test_the_documented_checkpoint_interval_is_the_real_one() -> None:
    assert f"a multiple of {CHECKPOINT_EVERY}," in DOC.read_text()
