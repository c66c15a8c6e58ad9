"""Images: pixels out, a new file in."""

from __future__ import annotations

import contextlib
import io

from PIL import Image, ImageOps

from refuge.intake.uploads.errors import _IMAGE_FAILURES, _refusal
from refuge.intake.uploads.limits import (
    MAX_IMAGE_DECODED_BYTES,
    MAX_IMAGE_PARTS,
    MAX_IMAGE_PIXELS,
    MAX_JPEG_SCANS,
    MAX_WEBP_PIXELS,
)
from refuge.intake.uploads.structure import _IMAGE_METADATA


def _sanitise_image(kind: str, data: bytes, name: str) -> tuple[bytes, set[str]]:
    found = _IMAGE_METADATA[kind](data)
    limit = MAX_WEBP_PIXELS if kind == "webp" else MAX_IMAGE_PIXELS
    # Decompression bombs are refused from the header, before a pixel is allocated.
    if found.pixels > limit:
        raise _refusal("image_too_large", name, limit // 1_000_000)
    # Pixels alone undercount: 16-bit samples, alpha and progressive scans cost more per pixel.
    if found.decoded_bytes > MAX_IMAGE_DECODED_BYTES:
        raise _refusal("image_too_heavy", name)
    # A progressive-scan bomb (each scan re-walks every block), thousands of tiny
    # segments or chunks (each costs Pillow a Python loop), junk between segments.
    if found.scans > MAX_JPEG_SCANS or found.parts > MAX_IMAGE_PARTS or found.broken:
        raise _refusal("file_damaged", name)
    try:
        with Image.open(io.BytesIO(data), formats=[kind.upper()]) as original:
            width, height = original.size
            if width * height > limit:
                raise _refusal("image_too_large", name, limit // 1_000_000)
            original.load()
            upright = _upright(original)
            clean = _pixels_only(upright, kind)
            transparency = upright.info.get("transparency") if kind == "png" else None
        out = io.BytesIO()
        if kind == "jpeg":
            clean.save(out, "JPEG", quality=90)
        elif kind == "png":
            clean.save(out, "PNG", **({"transparency": transparency} if transparency is not None else {}))
        else:
            clean.save(out, "WEBP", quality=90, lossless=found.lossless)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refusal("image_too_large", name, limit // 1_000_000) from None
    except _IMAGE_FAILURES:
        raise _refusal("file_damaged", name) from None
    return out.getvalue(), found.codes


def _upright(image: Image.Image) -> Image.Image:
    """Turn the photo the way the camera meant (EXIF orientation), as the EXIF goes away."""
    # An unreadable orientation keeps the pixels as stored rather than refuse a photo.
    with contextlib.suppress(*_IMAGE_FAILURES):
        ImageOps.exif_transpose(image, in_place=True)
    return image


def _pixels_only(image: Image.Image, kind: str) -> Image.Image:
    """A new image holding only the pixels: no info, EXIF, ICC, XMP or comment can follow."""
    if image.mode not in _SAVABLE_MODES[kind]:
        image = image.convert("RGBA" if "A" in image.mode and kind != "jpeg" else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if image.mode == "P":
        clean.putpalette(image.getpalette() or [])
    return clean


_SAVABLE_MODES = {
    "jpeg": {"L", "RGB", "CMYK"},
    "png": {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"},
    "webp": {"RGB", "RGBA"},
}
