"""Whatever bytes arrive, the answer is a clean file or a UserError, and it comes quickly."""

from __future__ import annotations

import time
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from refuge.core.errors import UserError
from refuge.intake.uploads import REMOVED_LABELS, CleanUpload
from tests.intake.uploads.helpers import CORPUS_DIR, LIBRARY_WARNINGS, sanitise_bytes

pytestmark = LIBRARY_WARNINGS

MAGIC = [
    b"\xff\xd8\xff",
    b"\xff\xd8\xff\xe1\x00\x40Exif\x00\x00II*\x00\x08\x00\x00\x00",
    b"\x89PNG\r\n\x1a\n",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
    b"RIFF\x00\x01\x00\x00WEBPVP8L",
    b"RIFF\x00\x01\x00\x00WEBPVP8X",
    b"%PDF-1.7\n",
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
    b"PK\x03\x04",
    b"GIF89a",
]
SMALL_SEEDS = sorted(path for path in CORPUS_DIR.iterdir() if 0 < path.stat().st_size < 30_000)
SECONDS = 2
FAST = settings(max_examples=120, deadline=SECONDS * 1000, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes) -> None:
    """Accepted with a known kind and known codes, or refused with a UserError; in time.

    The time is the process's CPU seconds, as in test_corpus.py: what a crafted file costs the
    server, not how busy the machine running the tests happens to be (hypothesis' own deadline
    still bounds the wall-clock time)."""
    started = time.process_time()
    try:
        upload: CleanUpload | UserError = sanitise_bytes(data, "fuzz")
    except UserError as error:
        upload = error
    assert time.process_time() - started < SECONDS
    if isinstance(upload, UserError):
        assert upload.code and str(upload.message)
    else:
        assert upload.kind in {"jpeg", "png", "webp", "pdf"}
        assert set(upload.removed) <= set(REMOVED_LABELS)
        assert upload.data


@FAST
@given(st.binary(max_size=4096))
def test_random_bytes_are_refused_or_cleaned(data: bytes) -> None:
    check(data)


@FAST
@given(st.sampled_from(MAGIC), st.binary(max_size=4096))
def test_random_bytes_behind_a_real_magic_number_are_refused_or_cleaned(magic: bytes, rest: bytes) -> None:
    check(magic + rest)


@FAST
@given(
    st.sampled_from(SMALL_SEEDS),
    st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=255)), max_size=8),
    st.one_of(st.none(), st.integers(min_value=0)),
)
def test_damaged_real_files_are_refused_or_cleaned(seed: object, flips: list[tuple[int, int]], cut: int | None) -> None:
    data = bytearray(CORPUS_DIR.joinpath(str(seed)).read_bytes())
    for position, value in flips:
        data[position % len(data)] = value
    check(bytes(data[: cut % (len(data) + 1)] if cut is not None else data))


@FAST
@given(st.sampled_from(SMALL_SEEDS), st.lists(st.tuples(st.integers(min_value=0), st.binary(max_size=4)), max_size=4))
def test_no_crash_even_where_library_warnings_are_errors(seed: object, edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(CORPUS_DIR.joinpath(str(seed)).read_bytes())
    for position, value in edits:
        data[position % len(data) : position % len(data) + len(value)] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under `python -W error`: a warning becomes a refusal
        check(bytes(data))
