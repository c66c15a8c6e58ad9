"""What an adversary who seizes the machine gets, and a search of it for canaries."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from pathlib import Path


def encodings_of(canary: str | bytes) -> dict[str, bytes]:
    """The byte forms a secret could take on disk: raw, UTF-16, base64, hex."""
    raw = canary.encode() if isinstance(canary, str) else canary
    forms = {"raw": raw, "hex": raw.hex().encode(), "base64": base64.b64encode(raw).rstrip(b"=")}
    if isinstance(canary, str):
        forms["utf-16-le"] = canary.encode("utf-16-le")
        forms["urlsafe-base64"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
    return forms


def seized_files(*roots: Path) -> list[Path]:
    """Every regular file below the roots (database, WAL, logs, sessions, uploads, temp)."""
    files: list[Path] = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.exists():
            files.extend(path for path in root.rglob("*") if path.is_file())
    return files


def find_canaries(files: Iterable[Path], canaries: dict[str, str | bytes]) -> list[str]:
    """Each (canary, encoding, file) found; an empty list means nothing leaked."""
    hits = []
    contents = {path: path.read_bytes() for path in files}
    # Case-folded text of each file, so a canary stored in another case is found
    # too (bytes.lower() would only fold ASCII, not Cyrillic).
    folded = {path: data.decode("utf-8", "ignore").casefold() for path, data in contents.items()}
    for label, canary in canaries.items():
        for form_name, form in encodings_of(canary).items():
            if len(form) < 8:
                continue
            for path, data in contents.items():
                if form in data:
                    hits.append(f"{label} ({form_name}) in {path}")
        if isinstance(canary, str):
            hits.extend(f"{label} (any case) in {path}" for path, text in folded.items() if canary.casefold() in text)
    return hits
