"""What the file is: decided by its bytes, never by its name or the browser's type."""

from __future__ import annotations


def _detect_kind(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    # Readers accept a PDF header anywhere in the first kilobyte; whatever precedes
    # it is dropped when the file is rewritten.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return None


def _is_heic(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}
