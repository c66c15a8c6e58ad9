"""Helpers for the upload tests: the corpus of hostile files and ways to sanitise one."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest

from refuge.core.errors import UserError
from refuge.intake.uploads import CleanUpload, sanitise_upload

CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus" / "uploads"

# Pillow and pikepdf warn about malformed metadata and go on (production logs the
# warning). The suite turns warnings into errors, so here they are shown, not raised:
# the outcome under test is the one a requester gets. A DecompressionBombWarning is a
# RuntimeWarning and stays an error, as refuge.intake.uploads makes it in production.
LIBRARY_WARNINGS = pytest.mark.filterwarnings("ignore::UserWarning")


def sanitise_bytes(data: bytes, name: str = "upload") -> CleanUpload:
    """Sanitise `data` as if uploaded under `name`."""
    return sanitise_upload(name, io.BytesIO(data))


def refusal(data: bytes, name: str = "upload") -> UserError:
    """The UserError `data` is refused with (fails the test if it is accepted)."""
    with pytest.raises(UserError) as caught:
        sanitise_bytes(data, name)
    return caught.value


def pdf_as_text(data: bytes) -> bytes:
    """Every object of a PDF uncompressed, so that a byte search sees all of it."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(
            out,
            qdf=True,
            object_stream_mode=pikepdf.ObjectStreamMode.disable,
            stream_decode_level=pikepdf.StreamDecodeLevel.all,
        )
    return out.getvalue()
