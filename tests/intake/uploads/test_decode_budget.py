"""Decoding is bounded by the bytes it holds, not only by pixels, and by a queue per process.

A 301 KB PNG of 16-bit RGBA just under the 40-megapixel cap took 4.7 s and 440 MB to
rebuild: pixels alone undercount what 16-bit samples, alpha and progressive scans cost.
Such files are refused from their header; and however many arrive at once, one process
decodes at most REFUGE_UPLOAD_DECODES of them, the others wait or are told "busy".
"""

from __future__ import annotations

import resource
import struct
import threading
import time
import zlib

import pytest
from django.test import override_settings

from refuge.core.errors import UserError
from refuge.intake.uploads import MAX_IMAGE_DECODED_BYTES
from refuge.intake.uploads.slots import decode_slot
from tests.corpus.make_upload_corpus import encode, png_chunk, two_colour_picture
from tests.intake.uploads.helpers import LIBRARY_WARNINGS, refusal, sanitise_bytes

pytestmark = LIBRARY_WARNINGS


def png_declared(width: int, height: int, depth: int, colour: int, rows: int = 4) -> bytes:
    """A PNG whose header declares width x height at `depth` bits of `colour`; a few rows present."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + width * channels * depth // 8)
    idat = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def jpeg_declared(width: int, height: int, *, progressive: bool) -> bytes:
    """A JPEG frame header of 3 components at full resolution (4:4:4), and nothing decodable after it."""
    frame = struct.pack(">BHHB", 8, height, width, 3) + b"".join(bytes([i, 0x11, 0]) for i in (1, 2, 3))
    marker = b"\xff\xc2" if progressive else b"\xff\xc0"
    return b"\xff\xd8" + marker + struct.pack(">H", len(frame) + 2) + frame + b"\xff\xd9"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_16_bit_rgba_png_under_the_pixel_cap_is_refused_from_its_header() -> None:
    # 8,000 x 4,999 = 39.99 megapixels: under MAX_IMAGE_PIXELS, but 320 MB of samples.
    data = png_declared(8_000, 4_999, 16, 6)
    peak, started = _peak_mib(), time.monotonic()
    error = refusal(data, "scan.png")
    assert error.code == "image_too_large"
    assert "“scan.png” is too large for us to check" in str(error.message)
    assert time.monotonic() - started < 0.5 and _peak_mib() - peak < 20


def test_a_16_bit_rgba_png_within_the_budget_is_rebuilt() -> None:
    # 9 megapixels of 16-bit RGBA: 72 MB of samples, under the budget.
    assert MAX_IMAGE_DECODED_BYTES > 3_000 * 3_000 * 8
    assert sanitise_bytes(png_declared(3_000, 3_000, 16, 6, rows=3_000), "scan.png").kind == "png"


def test_a_small_16_bit_rgba_png_is_still_accepted() -> None:
    picture = two_colour_picture(32, 16).convert("RGBA")
    data = png_declared(32, 16, 16, 6, rows=16)
    assert sanitise_bytes(data, "small.png").kind == "png"
    assert sanitise_bytes(encode(picture, "PNG"), "small.png").kind == "png"


def test_a_progressive_jpeg_counts_its_coefficients() -> None:
    # 24 megapixels at 4:4:4: 96 MB of pixels as a baseline JPEG, 240 MB progressive.
    assert refusal(jpeg_declared(6_000, 4_000, progressive=True), "photo.jpg").code == "image_too_large"
    assert refusal(jpeg_declared(6_000, 4_000, progressive=False), "photo.jpg").code == "file_damaged"


def test_a_webp_counts_its_decoder_buffers() -> None:
    # VP8L header of a 4,000 x 3,000 lossless WebP (12 megapixels x 24 bytes) and no image data.
    bits = (4_000 - 1) | ((3_000 - 1) << 14)
    body = b"\x2f" + bits.to_bytes(4, "little")
    chunk = b"VP8L" + len(body).to_bytes(4, "little") + body + b"\0"
    data = b"RIFF" + (4 + len(chunk)).to_bytes(4, "little") + b"WEBP" + chunk
    assert refusal(data, "photo.webp").code == "image_too_large"


@pytest.mark.django_db
def test_a_decode_that_waits_too_long_for_a_slot_is_refused_as_busy() -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with decode_slot():
            holding.set()
            release.wait(10)

    with override_settings(REFUGE_UPLOAD_DECODES=1, REFUGE_UPLOAD_WAIT_SECONDS=1):
        worker = threading.Thread(target=hold)
        worker.start()
        try:
            assert holding.wait(5)
            started = time.monotonic()
            with pytest.raises(UserError) as caught:
                sanitise_bytes(encode(two_colour_picture(), "PNG"), "photo.png")
            assert caught.value.code == "uploads_busy" and 0.9 < time.monotonic() - started < 5
            assert "We are checking many files right now" in str(caught.value.message)
        finally:
            release.set()
            worker.join()
        # Once the slot is free, the same file goes through.
        assert sanitise_bytes(encode(two_colour_picture(), "PNG"), "photo.png").kind == "png"


@pytest.mark.django_db
def test_decodes_beyond_the_slots_wait_their_turn() -> None:
    inside, most = 0, 0
    lock = threading.Lock()

    def decode() -> None:
        nonlocal inside, most
        with decode_slot():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    with override_settings(REFUGE_UPLOAD_DECODES=2, REFUGE_UPLOAD_WAIT_SECONDS=10):
        threads = [threading.Thread(target=decode) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert most == 2


def test_freed_pixels_go_back_to_the_system_not_to_a_threads_arena() -> None:
    # On glibc (every supported platform): without it, 8 threads taking turns at one slot held 2.2 GB.
    from refuge.intake.uploads import limits

    assert limits.LARGE_BUFFERS_UNMAPPED
