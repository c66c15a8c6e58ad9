"""Canonical encodings of entries and checkpoints, shared by append, sign and verify."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

# The link before entry 1: the chain starts from 32 zero bytes.
GENESIS_HASH = bytes(32)


def entry_payload(entry: Any) -> bytes:
    """Encode the fields that the hash covers, deterministically."""
    fields = {
        "seq": int(entry.seq),
        "organisation_id": str(entry.organisation_id) if entry.organisation_id else "",
        "actor_id": str(entry.actor_id) if entry.actor_id else "",
        "code": int(entry.code),
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "created_at": entry.created_at.isoformat(),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


# Domain separation: a signature made for a checkpoint can never be replayed as a
# signature over anything else the installation key might one day sign.
CHECKPOINT_DOMAIN = "refuge-audit-checkpoint/1"


def checkpoint_message(seq: int, entry_hash: bytes, signed_at: datetime) -> bytes:
    """Encode what a checkpoint signs: the head's seq and hash, and when."""
    fields = {
        "domain": CHECKPOINT_DOMAIN,
        "seq": int(seq),
        "entry_hash": bytes(entry_hash).hex(),
        "signed_at": signed_at.isoformat(),
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
