"""Canonical encoding of an audit entry, shared by append and verify."""

from __future__ import annotations

import json
from typing import Any


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
