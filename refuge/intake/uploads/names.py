"""Display names for uploaded files: no path, no hidden characters, an extension true to the content."""

from __future__ import annotations

import re
import unicodedata

from refuge.intake.uploads.limits import MAX_NAME_CHARS

_EXTENSIONS = {"jpeg": ("jpg", "jpeg"), "png": ("png",), "webp": ("webp",), "pdf": ("pdf",)}
_DEFAULT_STEMS = {"jpeg": "photo", "png": "photo", "webp": "photo", "pdf": "document"}


def safe_name(name: str, kind: str | None = None) -> str:
    """The file name to display: no path, no control or bidi characters, a bounded length."""
    # A name like "../../etc/passwd" or "C:\\x\\y" shows as its last part only.
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters and bidi overrides could make "gpj.exe" display as "exe.jpg";
    # ZWNJ/ZWJ stay, as Persian names and emoji need them.
    name = "".join(char for char in name if _visible(char))
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,5}", ext):
        stem, ext = name, ""
    if kind is not None:
        # The extension always matches the content: a PDF never displays as "x.exe".
        ext = ext if ext.lower() in _EXTENSIONS[kind] else _EXTENSIONS[kind][0]
        stem = stem.rstrip(" .") or _DEFAULT_STEMS[kind]
    suffix = f".{ext}" if ext else ""
    return stem[: MAX_NAME_CHARS - len(suffix)].rstrip(" .") + suffix


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    if char in "\u200c\u200d" or char.isspace():
        return True  # whitespace of every kind becomes one space below
    return category not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
