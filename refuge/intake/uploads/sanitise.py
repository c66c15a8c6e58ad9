"""The entry points: one submission or one file, checked by content and rebuilt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from refuge.core.errors import UserError
from refuge.intake.uploads.detect import _detect_kind, _is_heic
from refuge.intake.uploads.errors import _refusal
from refuge.intake.uploads.images import _sanitise_image
from refuge.intake.uploads.limits import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD
from refuge.intake.uploads.names import safe_name
from refuge.intake.uploads.pdfs import _sanitise_pdf
from refuge.intake.uploads.slots import decode_slot


@dataclass(frozen=True)
class CleanUpload:
    """A file ready to be encrypted: sanitised bytes and what was removed from it."""

    kind: str  # "jpeg", "png", "webp" or "pdf"
    data: bytes = field(repr=False)
    name: str = field(repr=False)  # the original file name, made safe for display
    removed: tuple[str, ...] = ()  # codes of removed metadata, e.g. ("gps", "camera")


# What the requester is told was removed, in this order.
REMOVED_LABELS: dict[str, Promise] = {
    "gps": _("GPS position"),
    "camera": _("camera make and model"),
    "datetime": _("date and time created"),
    "thumbnail": _("embedded thumbnail"),
    "software": _("editing software"),
    "author": _("author name"),
    "comment": _("comments"),
    "other": _("other hidden information"),
    "active_content": _("scripts, links and embedded files"),
}


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def sanitise_uploads(files: Sequence[UploadedFile]) -> list[CleanUpload]:
    """Sanitise every file of one submission, or refuse them all with the first problem."""
    # A flood of files is refused before any is read.
    if len(files) > MAX_FILES_PER_UPLOAD:
        raise UserError(
            "too_many_files",
            _("You can send at most %(limit)d files at a time. Please send the others in a new message.")
            % {"limit": MAX_FILES_PER_UPLOAD},
            field="files",
        )
    cleaned = []
    for upload in files:
        name = upload.name or ""
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise _refusal("file_too_big", name)
        upload.open()  # back to the first byte, whichever storage Django chose
        cleaned.append(sanitise_upload(name, upload, upload.size))
    return cleaned


def sanitise_upload(name: str, stream: _Readable, size: int | None = None) -> CleanUpload:
    """Check one uploaded file by its content and return it rebuilt without metadata."""
    if size is not None and size > MAX_FILE_BYTES:
        raise _refusal("file_too_big", name)
    data = _read_capped(stream)
    if len(data) > MAX_FILE_BYTES:
        raise _refusal("file_too_big", name)
    if not data:
        raise _refusal("file_empty", name)
    kind = _detect_kind(data)
    if kind is None:
        code = "file_type_heic" if _is_heic(data) else "file_type_not_allowed"
        raise _refusal(code, name)
    # The decode is the expensive part: it waits for one of the process's slots.
    with decode_slot():
        if kind == "pdf":
            clean, removed = _sanitise_pdf(data, name)
        else:
            clean, removed = _sanitise_image(kind, data, name)
    ordered = tuple(code for code in REMOVED_LABELS if code in removed)
    return CleanUpload(kind=kind, data=clean, name=safe_name(name, kind), removed=ordered)


def _read_capped(stream: _Readable) -> bytes:
    """Read at most MAX_FILE_BYTES + 1 bytes: an endless upload cannot fill memory."""
    parts: list[bytes] = []
    remaining = MAX_FILE_BYTES + 1
    while remaining > 0:
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        parts.append(chunk)
        remaining -= len(chunk)
    return b"".join(parts)
