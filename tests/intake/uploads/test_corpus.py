"""Every file of the hostile corpus is accepted clean or refused with the right code, nothing else."""

from __future__ import annotations

import time

import pytest

from refuge.core.errors import UserError
from refuge.intake.uploads import REMOVED_LABELS, sanitise_upload
from tests.corpus.make_upload_corpus import CORPUS, PLANTED
from tests.intake.uploads.helpers import CORPUS_DIR, LIBRARY_WARNINGS, pdf_as_text, sanitise_bytes

pytestmark = LIBRARY_WARNINGS

GPS_CAMERA = ("gps", "camera", "datetime", "thumbnail", "software", "author")
# file → ("accept", kind, removed codes) or ("refuse", error code). A corpus file
# without a line here fails test_every_corpus_file_has_an_expected_outcome.
EXPECTED: dict[str, tuple[object, ...]] = {
    "jpeg_gps_camera_thumbnail.jpg": ("accept", "jpeg", GPS_CAMERA),
    "jpeg_xmp_icc_comment.jpg": ("accept", "jpeg", ("gps", "software", "author", "comment", "other")),
    "png_text_chunks.png": ("accept", "png", ("gps", "datetime", "software", "author", "comment", "other")),
    "png_palette_transparent.png": ("accept", "png", ()),
    "webp_exif.webp": ("accept", "webp", ("gps", "camera", "datetime", "software", "author")),
    "webp_lossless_icc.webp": ("accept", "webp", ("other",)),
    "webp_broken_exif.webp": ("accept", "webp", ("other",)),
    "jpeg_zip_polyglot.jpg": ("accept", "jpeg", ("other",)),
    "jpeg_html_polyglot.jpg": ("accept", "jpeg", ("other",)),
    "png_trailing_data.png": ("accept", "png", ("other",)),
    "jpeg_truncated.jpg": ("refuse", "file_damaged"),
    "jpeg_many_scans.jpg": ("refuse", "file_damaged"),
    "png_decompression_bomb.png": ("refuse", "image_too_large"),
    "png_48_megapixels_declared.png": ("refuse", "image_too_large"),
    "gif.gif": ("refuse", "file_type_not_allowed"),
    "heic_header.heic": ("refuse", "file_type_not_allowed"),
    "svg_script.svg": ("refuse", "file_type_not_allowed"),
    "html_renamed.jpg": ("refuse", "file_type_not_allowed"),
    "zip_bomb.zip": ("refuse", "file_type_not_allowed"),
    "utf16_text.txt": ("refuse", "file_type_not_allowed"),
    "exe_header.exe": ("refuse", "file_type_not_allowed"),
    "elf_header.bin": ("refuse", "file_type_not_allowed"),
    "empty.jpg": ("refuse", "file_empty"),
    "pdf_javascript_metadata.pdf": (
        "accept",
        "pdf",
        ("gps", "datetime", "software", "author", "comment", "other", "active_content"),
    ),
    "pdf_trailing_data.pdf": ("accept", "pdf", ("other",)),
    "pdf_malformed.pdf": ("refuse", "file_damaged"),
    "pdf_encrypted.pdf": ("refuse", "pdf_password"),
    "pdf_owner_password_only.pdf": ("accept", "pdf", ()),
    "pdf_metadata_bomb.pdf": ("accept", "pdf", ("other",)),
    "pdf_too_many_pages.pdf": ("refuse", "pdf_too_long"),
}
CORPUS_FILES = sorted(path.name for path in CORPUS_DIR.iterdir())


def test_every_corpus_file_has_an_expected_outcome() -> None:
    assert set(CORPUS_FILES) == set(EXPECTED)


def test_the_committed_corpus_is_what_the_script_makes() -> None:
    assert set(CORPUS_FILES) == set(CORPUS)


def test_the_corpus_stays_small() -> None:
    assert sum((CORPUS_DIR / name).stat().st_size for name in CORPUS_FILES) < 1_000_000


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_a_corpus_file_gets_its_expected_outcome(name: str) -> None:
    expected = EXPECTED.get(name)
    assert expected is not None, f"add the expected outcome of {name} to EXPECTED"
    path = CORPUS_DIR / name
    # CPU seconds, not wall-clock: the bound is what one file costs to process, and a loaded
    # machine (CI beside other work) stretches wall-clock time without costing more.
    started = time.process_time()
    with path.open("rb") as stream:
        try:
            upload = sanitise_upload(name, stream)
        except UserError as error:
            outcome: tuple[object, ...] = ("refuse", error.code)
            message = str(error.message)
        else:
            outcome, message = ("accept", upload.kind, upload.removed), name
    assert outcome == expected
    assert name in message  # a refusal names the file: the requester sent up to five
    assert time.process_time() - started < 2


@pytest.mark.parametrize("name", [name for name, outcome in EXPECTED.items() if outcome[0] == "accept"])
def test_an_accepted_file_comes_out_with_nothing_left_to_remove(name: str) -> None:
    upload = sanitise_bytes((CORPUS_DIR / name).read_bytes(), name)
    again = sanitise_bytes(upload.data, upload.name)
    assert (again.kind, again.removed) == (upload.kind, ())
    text = pdf_as_text(upload.data) if upload.kind == "pdf" else upload.data
    assert [planted for planted in PLANTED if planted in text] == []
    for payload in (b"PK\x03\x04", b"<script", b"<html"):
        assert payload not in upload.data  # appended polyglot payloads are gone


def test_every_removed_code_has_a_label_for_the_requester() -> None:
    produced = {code for outcome in EXPECTED.values() if outcome[0] == "accept" for code in outcome[2]}
    assert produced == set(REMOVED_LABELS)
