"""What a frightened requester reads: which file, what is wrong, and what to do instead."""

from __future__ import annotations

from django.utils.functional import Promise

from refuge.intake.uploads import REMOVED_LABELS
from tests.intake.uploads.helpers import CORPUS_DIR, refusal


def test_a_refused_type_says_which_types_are_accepted() -> None:
    message = str(refusal(b"GIF89a" + b"\0" * 32, "cat.gif").message)
    assert "“cat.gif”" in message
    assert "JPEG, PNG or WebP" in message and "PDF" in message


def test_a_heic_photo_is_refused_with_a_way_to_send_it() -> None:
    error = refusal((CORPUS_DIR / "heic_header.heic").read_bytes(), "IMG_2041.HEIC")
    assert error.code == "file_type_not_allowed"
    assert "HEIC" in str(error.message) and "screenshot" in str(error.message)


def test_a_refusal_belongs_to_the_files_field() -> None:
    assert refusal(b"", "a.jpg").field == "files"


def test_a_file_without_a_name_is_still_named_in_the_message() -> None:
    assert "“untitled”" in str(refusal(b"", "").message)


def test_every_removed_label_is_translatable_text() -> None:
    assert all(isinstance(label, Promise) and str(label) for label in REMOVED_LABELS.values())
