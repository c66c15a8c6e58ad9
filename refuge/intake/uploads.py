"""Uploads from requesters: type checked by content, metadata stripped, limits enforced."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CleanUpload:
    """A file ready to be encrypted: sanitised bytes and what was removed from it."""

    kind: str  # "jpeg", "png", "webp" or "pdf"
    data: bytes = field(repr=False)
    name: str = field(repr=False)  # the original file name, made safe for display
    removed: tuple[str, ...] = ()  # codes of removed metadata, e.g. ("gps", "camera")
