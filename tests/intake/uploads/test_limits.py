"""Limits hold whatever arrives: sizes, counts, endless streams and bombs, each refused quickly."""

from __future__ import annotations

import io
import struct
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from refuge.intake import uploads
from refuge.intake.uploads import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD, sanitise_upload, sanitise_uploads
from tests.corpus.make_upload_corpus import encode, png_bomb, two_colour_picture
from tests.intake.uploads.helpers import CORPUS_DIR, LIBRARY_WARNINGS, refusal

pytestmark = LIBRARY_WARNINGS

PNG = encode(two_colour_picture(), "PNG")


class EndlessStream:
    """An upload that never ends; counts what was read from it."""

    def __init__(self, prefix: bytes = PNG) -> None:
        self.prefix, self.read_bytes = prefix, 0

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "an unbounded read"
        head = self.prefix[self.read_bytes : self.read_bytes + size]
        self.read_bytes += size
        return head + b"\0" * (size - len(head))


class UnreadableStream:
    def read(self, size: int = -1) -> bytes:
        raise AssertionError("the stream was read although its size was already too big")


def test_a_file_of_exactly_the_limit_is_accepted() -> None:
    data = PNG + b"x" * (MAX_FILE_BYTES - len(PNG))
    upload = sanitise_upload("scan.png", io.BytesIO(data), size=len(data))
    assert (upload.kind, upload.removed) == ("png", ("other",))  # the padding was appended data


def test_one_byte_more_is_refused() -> None:
    data = PNG + b"x" * (MAX_FILE_BYTES + 1 - len(PNG))
    error = refusal(data, "scan.png")
    assert error.code == "file_too_big"
    assert "10 MB" in str(error.message)


def test_an_endless_upload_is_read_no_further_than_the_limit() -> None:
    stream = EndlessStream()
    with pytest.raises(uploads.UserError) as caught:
        sanitise_upload("endless.png", stream)
    assert caught.value.code == "file_too_big"
    assert stream.read_bytes == MAX_FILE_BYTES + 1


def test_a_declared_size_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(uploads.UserError) as caught:
        sanitise_upload("big.jpg", UnreadableStream(), size=MAX_FILE_BYTES + 1)
    assert caught.value.code == "file_too_big"


def test_a_lying_small_size_does_not_lift_the_limit() -> None:
    with pytest.raises(uploads.UserError) as caught:
        sanitise_upload("liar.png", EndlessStream(), size=10)
    assert caught.value.code == "file_too_big"


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"", "passport.jpg").code == "file_empty"


def test_several_files_are_sanitised_together() -> None:
    files = [
        SimpleUploadedFile("one.png", PNG, content_type="image/gif"),  # the browser's type is ignored
        SimpleUploadedFile("two.jpg", (CORPUS_DIR / "jpeg_gps_camera_thumbnail.jpg").read_bytes()),
    ]
    cleaned = sanitise_uploads(files)
    assert [(upload.kind, upload.name) for upload in cleaned] == [("png", "one.png"), ("jpeg", "two.jpg")]
    assert sanitise_uploads([]) == []


def test_a_file_read_before_is_read_again_from_its_start() -> None:
    upload = SimpleUploadedFile("scan.png", PNG)
    upload.read()
    assert sanitise_uploads([upload])[0].kind == "png"


def test_a_file_django_kept_on_disk_is_sanitised_too() -> None:
    upload = TemporaryUploadedFile("scan.png", "image/png", len(PNG), None)
    upload.write(PNG)
    upload.flush()
    try:
        assert sanitise_uploads([upload])[0].kind == "png"
    finally:
        upload.close()


def test_too_many_files_are_refused_before_any_is_read() -> None:
    class Unread(SimpleUploadedFile):
        def read(self, *args: object) -> bytes:
            raise AssertionError("read although there were too many files")

    files = [Unread(f"{number}.png", PNG) for number in range(MAX_FILES_PER_UPLOAD + 1)]
    with pytest.raises(uploads.UserError) as caught:
        sanitise_uploads(files)
    assert caught.value.code == "too_many_files"
    assert caught.value.field == "files"


def test_one_bad_file_refuses_the_submission_and_says_which() -> None:
    files = [SimpleUploadedFile("good.png", PNG), SimpleUploadedFile("evil.svg", b"<svg/>")]
    with pytest.raises(uploads.UserError) as caught:
        sanitise_uploads(files)
    assert caught.value.code == "file_type_not_allowed"
    assert "evil.svg" in str(caught.value.message)


def test_a_big_upload_is_refused_by_its_size_alone() -> None:
    upload = SimpleUploadedFile("huge.pdf", b"%PDF-")
    upload.size = MAX_FILE_BYTES + 1
    with pytest.raises(uploads.UserError) as caught:
        sanitise_uploads([upload])
    assert caught.value.code == "file_too_big"


def timed_refusal(data: bytes) -> tuple[str, float]:
    started = time.monotonic()
    error = refusal(data)
    return error.code, time.monotonic() - started


def test_a_png_decompression_bomb_is_refused_in_under_two_seconds() -> None:
    code, seconds = timed_refusal((CORPUS_DIR / "png_decompression_bomb.png").read_bytes())
    assert code == "image_too_large" and seconds < 2


def test_a_png_just_over_the_pixel_limit_is_refused() -> None:
    # 40,000,001 pixels in a 1-bit PNG: Pillow alone would not object.
    code, seconds = timed_refusal(png_bomb(40_000_001, 1, 1))
    assert code == "image_too_large" and seconds < 2


def test_a_jpeg_declaring_giant_dimensions_is_refused_in_under_two_seconds() -> None:
    data = bytearray(encode(two_colour_picture(), "JPEG"))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", 60_000, 60_000)
    code, seconds = timed_refusal(bytes(data))
    assert code == "image_too_large" and seconds < 2


def test_a_webp_canvas_over_its_limit_is_refused_before_pillow_allocates_it(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(encode(two_colour_picture(), "WEBP", exif=b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0"))
    canvas = data.index(b"VP8X") + 8
    data[canvas + 4 : canvas + 10] = (4_999).to_bytes(3, "little") * 2  # 5,000 x 5,000: 25 MP
    monkeypatch.setattr(uploads.Image, "open", lambda *args, **kwargs: pytest.fail("Pillow opened it"))
    error = refusal(bytes(data))
    assert error.code == "image_too_large"
    assert "16 megapixels" in str(error.message)


def test_a_zip_bomb_is_refused_by_its_type_without_being_unpacked() -> None:
    code, seconds = timed_refusal((CORPUS_DIR / "zip_bomb.zip").read_bytes())
    assert code == "file_type_not_allowed" and seconds < 0.5


def test_a_jpeg_of_endless_fill_bytes_is_refused_quickly() -> None:
    code, seconds = timed_refusal(b"\xff\xd8" + b"\xff" * (MAX_FILE_BYTES - 2))
    assert code == "file_damaged" and seconds < 1


def test_a_jpeg_of_countless_tiny_segments_is_refused_quickly() -> None:
    jpeg = encode(two_colour_picture(), "JPEG")
    segments = b"\xff\xfe\x00\x02" * (uploads.MAX_IMAGE_PARTS + 1)
    code, seconds = timed_refusal(jpeg[:2] + segments + jpeg[2:])
    assert code == "file_damaged" and seconds < 1


def test_a_png_of_countless_tiny_chunks_is_refused_quickly() -> None:
    chunk = struct.pack(">I", 0) + b"abCd" + struct.pack(">I", 0)
    code, seconds = timed_refusal(PNG[:33] + chunk * (uploads.MAX_IMAGE_PARTS + 1) + PNG[33:])
    assert code == "file_damaged" and seconds < 1


def test_a_jpeg_with_junk_between_its_segments_is_refused() -> None:
    jpeg = encode(two_colour_picture(), "JPEG")
    after_jfif = 2 + 2 + int.from_bytes(jpeg[4:6], "big")
    assert refusal(jpeg[:after_jfif] + b"\0" * 1000 + jpeg[after_jfif:]).code == "file_damaged"


def test_a_progressive_jpeg_is_accepted() -> None:
    upload = sanitise_upload("p.jpg", io.BytesIO(encode(two_colour_picture(), "JPEG", progressive=True)))
    assert upload.kind == "jpeg"
