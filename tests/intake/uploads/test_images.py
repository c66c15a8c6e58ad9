"""Images come out as new files: the pixels, the right way up, and nothing else."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.corpus.make_upload_corpus import GPS_LATITUDE, PLANTED, encode, exif_block, two_colour_picture
from tests.intake.uploads.helpers import CORPUS_DIR, LIBRARY_WARNINGS, refusal, sanitise_bytes

pytestmark = LIBRARY_WARNINGS

RED, BLUE = (220, 20, 20), (20, 20, 220)


def reopen(data: bytes) -> Image.Image:
    picture = Image.open(io.BytesIO(data))
    picture.load()
    return picture


def close_to(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=False))


def test_a_gps_photo_comes_out_without_any_exif() -> None:
    original = (CORPUS_DIR / "jpeg_gps_camera_thumbnail.jpg").read_bytes()
    assert Image.open(io.BytesIO(original)).getexif()  # the planted EXIF is really there

    upload = sanitise_bytes(original, "IMG_0001.JPG")

    picture = reopen(upload.data)
    assert picture.format == "JPEG"
    assert len(picture.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp", "comment", "photoshop"} & set(picture.info)
    assert [segment for segment, _content in picture.applist if segment != "APP0"] == []
    for planted in (*PLANTED, b"GPS", b"Exif"):
        assert planted not in upload.data
    latitude = b"".join(n.to_bytes(4, "little") + d.to_bytes(4, "little") for n, d in GPS_LATITUDE)
    assert latitude not in upload.data
    assert upload.data.count(b"\xff\xd8") == 1  # no embedded thumbnail JPEG


def test_a_photo_is_turned_the_way_the_camera_meant() -> None:
    # Stored 64x32, left half red; orientation 6 says "turn 90° clockwise to show".
    upload = sanitise_bytes((CORPUS_DIR / "jpeg_gps_camera_thumbnail.jpg").read_bytes())

    picture = reopen(upload.data).convert("RGB")
    assert picture.size == (32, 64)
    assert close_to(picture.getpixel((16, 8)), RED)
    assert close_to(picture.getpixel((16, 56)), BLUE)


def test_a_photo_without_orientation_keeps_its_shape() -> None:
    upload = sanitise_bytes(encode(two_colour_picture(), "JPEG", exif=exif_block(orientation=1)))

    picture = reopen(upload.data).convert("RGB")
    assert picture.size == (64, 32)
    assert close_to(picture.getpixel((8, 16)), RED)


def test_a_png_keeps_its_transparency_and_loses_its_text() -> None:
    upload = sanitise_bytes((CORPUS_DIR / "png_palette_transparent.png").read_bytes())
    picture = reopen(upload.data)
    assert picture.mode == "P" and "transparency" in picture.info

    text_upload = sanitise_bytes((CORPUS_DIR / "png_text_chunks.png").read_bytes())
    chunks = reopen(text_upload.data)
    assert not set(chunks.info) - {"dpi"}  # no text, no XMP, no tIME, no ICC
    for chunk_type in (b"tEXt", b"zTXt", b"iTXt", b"tIME", b"iCCP", b"eXIf"):
        assert chunk_type not in text_upload.data


@pytest.mark.parametrize("mode", ["L", "RGBA", "I;16", "1"])
def test_a_png_keeps_its_pixel_format(mode: str) -> None:
    picture = two_colour_picture().convert("L" if mode == "I;16" else mode)
    if mode == "I;16":
        picture = picture.convert("I").point(lambda value: value * 200).convert("I;16")
    upload = sanitise_bytes(encode(picture, "PNG"))
    assert reopen(upload.data).mode == mode


def test_a_cmyk_jpeg_stays_cmyk() -> None:
    upload = sanitise_bytes(encode(two_colour_picture().convert("CMYK"), "JPEG"))
    assert reopen(upload.data).mode == "CMYK"


def test_a_lossless_webp_stays_lossless_and_loses_its_colour_profile() -> None:
    upload = sanitise_bytes((CORPUS_DIR / "webp_lossless_icc.webp").read_bytes())
    assert b"VP8L" in upload.data
    assert b"ICCP" not in upload.data
    assert "icc_profile" not in reopen(upload.data).info


def test_a_webp_loses_its_exif() -> None:
    upload = sanitise_bytes((CORPUS_DIR / "webp_exif.webp").read_bytes())
    assert b"EXIF" not in upload.data
    assert len(reopen(upload.data).getexif()) == 0


def test_a_multi_picture_jpeg_keeps_only_the_first_picture() -> None:
    # Phones store depth maps and HDR gain maps as further pictures after the first.
    first, second = two_colour_picture(), two_colour_picture().transpose(Image.Transpose.ROTATE_180)
    mpo = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(mpo)).format == "MPO"

    upload = sanitise_bytes(mpo)

    assert (upload.kind, upload.removed) == ("jpeg", ("other",))
    picture = reopen(upload.data)
    assert picture.format == "JPEG" and getattr(picture, "n_frames", 1) == 1
    assert close_to(picture.convert("RGB").getpixel((8, 16)), RED)


def test_a_polyglot_comes_out_as_the_picture_alone() -> None:
    polyglot = (CORPUS_DIR / "jpeg_zip_polyglot.jpg").read_bytes()
    upload = sanitise_bytes(polyglot)
    assert upload.data.endswith(b"\xff\xd9")
    assert b"PK" not in upload.data


def test_a_png_with_a_broken_checksum_is_refused_as_damaged() -> None:
    data = bytearray(encode(two_colour_picture(), "PNG"))
    data[-20] ^= 0xFF  # inside the last IDAT: the pixels no longer decode
    assert refusal(bytes(data)).code == "file_damaged"


def test_an_image_with_a_jpeg_header_and_nothing_else_is_refused_as_damaged() -> None:
    assert refusal(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00").code == "file_damaged"
