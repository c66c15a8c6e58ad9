"""The witness export: the installation's audit public key and every signed checkpoint.

One JSON object per line, so a witness can store, diff and append exports with
ordinary tools. The first line names the key; each later line is one checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from refuge.audit.keys import installation_public_key
from refuge.audit.rows import CheckpointRow, iter_checkpoints

EXPORT_FORMAT = "refuge-audit-export/1"


@dataclass(frozen=True)
class ExportedKey:
    """The key line: which public key the checkpoints that follow must verify under."""

    public_key: bytes


def export_lines() -> Iterator[str]:
    """Yield the export: a key line, then one line per checkpoint in seq order."""
    yield _dumps(
        {
            "format": EXPORT_FORMAT,
            "kind": "key",
            "public_key": installation_public_key().hex(),
            "exported_at": timezone.now().replace(microsecond=0).isoformat(),
        }
    )
    for checkpoint in iter_checkpoints():
        yield _dumps(
            {
                "format": EXPORT_FORMAT,
                "kind": "checkpoint",
                "seq": checkpoint.seq,
                "entry_hash": checkpoint.entry_hash.hex(),
                "signed_at": checkpoint.signed_at.isoformat(),
                "signature": checkpoint.signature.hex(),
                "public_key": checkpoint.public_key.hex(),
            }
        )


def parse_line(line: str) -> ExportedKey | CheckpointRow:
    """Read one export line; ValueError if it is not one."""
    try:
        data = json.loads(line)
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise ValueError("not an audit export line")
        if data["kind"] == "key":
            return ExportedKey(public_key=bytes.fromhex(data["public_key"]))
        if data["kind"] == "checkpoint":
            seq = data["seq"]
            # A whole number as written by export: not a float (1e400 is infinity), not a bool.
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise ValueError("not an audit export line")
            return CheckpointRow(
                seq=seq,
                entry_hash=bytes.fromhex(data["entry_hash"]),
                signed_at=datetime.fromisoformat(data["signed_at"]),
                signature=bytes.fromhex(data["signature"]),
                public_key=bytes.fromhex(data["public_key"]),
            )
    # RecursionError: json.loads on thousands of nested brackets (found by tests/fuzz).
    except (KeyError, TypeError, ValueError, RecursionError) as error:
        raise ValueError("not an audit export line") from error
    raise ValueError("not an audit export line")


def _dumps(data: dict[str, object]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
