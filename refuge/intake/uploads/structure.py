"""Image files walked before any pixel is decoded: their parts counted, canvas and metadata read.

What is found here decides whether Pillow is given the file at all (too many pixels,
scans or parts, junk where a segment should be) and what the requester is told was removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from refuge.intake.uploads.limits import MAX_IMAGE_PARTS, WEBP_DECODE_BYTES_PER_PIXEL
from refuge.intake.uploads.metadata import _exif_codes, _inflate_capped, _xmp_codes


@dataclass
class _Found:
    codes: set[str] = field(default_factory=set)
    scans: int = 0  # JPEG start-of-scan markers
    pixels: int = 0  # WebP canvas size, read before Pillow allocates it
    parts: int = 0  # segments or chunks walked
    broken: bool = False  # no structure to walk where one must be
    lossless: bool = False  # WebP stored losslessly (VP8L)
    # What decoding will hold, from the header: pixels × the larger of the decoded samples
    # (channels × bits) and Pillow's pixel, plus the decoder's own per-pixel buffers.
    decoded_bytes: int = 0


_ENTROPY_END = re.compile(rb"\xff(?![\x00\xd0-\xd7\xff])")
_JPEG_STANDALONE = {0x01, 0xD0, 0xD1, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8}  # markers without a length
_JPEG_MARKER = re.compile(rb"\xff{1,64}([^\xff])")  # a marker, after at most a few fill bytes


def _jpeg_metadata(data: bytes) -> _Found:
    found, pos = _Found(), 2
    while found.parts <= MAX_IMAGE_PARTS:
        found.parts += 1
        match = _JPEG_MARKER.match(data, pos)
        if match is None:
            # Junk where a segment should start: Pillow would step over it byte by byte.
            found.broken = found.scans == 0
            break
        marker, pos = match.group(1)[0], match.end()
        if marker == 0xD9:  # end of image
            break
        if marker in _JPEG_STANDALONE:
            continue
        length = int.from_bytes(data[pos : pos + 2], "big")
        found.codes |= _jpeg_segment_codes(marker, data[pos + 2 : pos + length])
        if marker in _JPEG_FRAMES:
            found.decoded_bytes = max(found.decoded_bytes, _jpeg_decoded_bytes(marker, data[pos + 2 : pos + length]))
        pos += max(length, 2)
        if marker == 0xDA:  # start of scan: skip the entropy-coded data to the next marker
            found.scans += 1
            entropy_end = _ENTROPY_END.search(data, pos)
            pos = entropy_end.start() if entropy_end else len(data)
    if data[pos:].strip(b"\0\r\n\t "):
        found.codes.add("other")  # appended data: a ZIP or HTML polyglot, a second picture, a video
    return found


# Start-of-frame markers (not DHT 0xC4, JPG 0xC8, DAC 0xCC); progressive ones keep every
# coefficient of the picture in memory until the last scan.
_JPEG_FRAMES = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_PROGRESSIVE = {0xC2, 0xC6, 0xCA, 0xCE}


def _jpeg_decoded_bytes(marker: int, frame: bytes) -> int:
    """Pillow's pixels (1 byte grey, 4 otherwise) and, if progressive, 2 bytes per coefficient."""
    if len(frame) < 6:
        return 0
    height, width, count = int.from_bytes(frame[1:3], "big"), int.from_bytes(frame[3:5], "big"), frame[5]
    sampling = [(frame[7 + 3 * i] >> 4, frame[7 + 3 * i] & 15) for i in range(count) if 8 + 3 * i <= len(frame)]
    per_pixel = 1.0 if count == 1 else 4.0
    if marker in _JPEG_PROGRESSIVE and sampling:
        h_max, v_max = max(h for h, _v in sampling) or 1, max(v for _h, v in sampling) or 1
        per_pixel += sum(2 * h * v / (h_max * v_max) for h, v in sampling)
    return int(width * height * per_pixel)


def _jpeg_segment_codes(marker: int, segment: bytes) -> set[str]:
    if marker == 0xFE:
        return {"comment"} if segment.strip(b"\0 ") else set()
    if marker == 0xE0:
        return set() if segment.startswith(b"JFIF\0") else {"thumbnail"} if segment.startswith(b"JFXX\0") else {"other"}
    if marker == 0xE1 and segment.startswith(b"Exif\0"):
        return _exif_codes(segment)
    if marker == 0xE1 and segment.startswith(b"http://ns.adobe.com/"):
        return _xmp_codes(segment)
    if marker == 0xE2 and segment.startswith(b"MPF\0"):
        return set()  # the index of further pictures; those follow the image and count as appended
    if marker == 0xEE and segment.startswith(b"Adobe"):
        return set()  # colour transform flag, no information about anyone
    return {"other"} if 0xE0 <= marker <= 0xEF else set()


_PNG_STRUCTURE = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"sBIT", b"bKGD", b"pHYs"}
_PNG_STRUCTURE |= {b"acTL", b"fcTL", b"fdAT", b"hIST"}
_PNG_TEXT_CODES = {
    "author": "author",
    "copyright": "author",
    "software": "software",
    "creation time": "datetime",
    "date:create": "datetime",
    "date:modify": "datetime",
    "comment": "comment",
    "description": "comment",
    "title": "comment",
}


def _png_metadata(data: bytes) -> _Found:
    found, pos = _Found(), 8
    while pos + 12 <= len(data) and found.parts <= MAX_IMAGE_PARTS:
        found.parts += 1
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR" and len(body) >= 10:
            found.decoded_bytes = _png_decoded_bytes(body)
        if kind in {b"tEXt", b"zTXt", b"iTXt"}:
            found.codes |= _png_text_codes(kind, body)
        elif kind == b"eXIf":
            found.codes |= _exif_codes(body)
        elif kind == b"tIME":
            found.codes.add("datetime")
        elif kind not in _PNG_STRUCTURE:
            found.codes.add("other")  # iCCP, private chunks, C2PA manifests
        if kind == b"IEND":
            break
    if pos < len(data) and data[pos:].strip(b"\0\r\n\t "):
        found.codes.add("other")  # data after IEND: a polyglot
    return found


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey+alpha, RGBA


def _png_decoded_bytes(header: bytes) -> int:
    """The larger of the inflated samples (16-bit RGBA: 8 bytes a pixel) and Pillow's pixel."""
    width, height = int.from_bytes(header[0:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour = header[8], header[9]
    channels = _PNG_CHANNELS.get(colour, 4)
    samples = channels * max(depth, 8) // 8
    # Pillow holds grey and palette pictures in 1 byte a pixel (16-bit grey in 2), the rest in 4.
    pillow = samples if channels == 1 else 4
    return width * height * max(samples, pillow)


def _png_text_codes(kind: bytes, body: bytes) -> set[str]:
    keyword, _sep, rest = body.partition(b"\0")
    key = keyword.decode("latin-1").strip().lower()
    if key in _PNG_TEXT_CODES:
        return {_PNG_TEXT_CODES[key]}
    text = _png_text(kind, rest)
    if key == "xml:com.adobe.xmp":
        return _xmp_codes(text)
    if key.startswith("raw profile type"):  # ImageMagick keeps EXIF as hex in a text chunk
        try:
            return _exif_codes(bytes.fromhex(b"".join(text.split(b"\n")[3:]).decode("ascii")))
        except (ValueError, UnicodeDecodeError):
            return {"other"}
    return {"other"}


def _png_text(kind: bytes, rest: bytes) -> bytes:
    """The text of a PNG text chunk, decompressed to at most MAX_METADATA_TEXT_BYTES."""
    compressed = kind == b"zTXt" or (kind == b"iTXt" and rest[:1] == b"\x01")
    if kind == b"iTXt":
        rest = rest[2:].split(b"\0", 2)[-1]  # skip flags, language tag and translated keyword
    elif kind == b"zTXt":
        rest = rest[1:]
    return _inflate_capped(rest) if compressed else rest


_WEBP_STRUCTURE = {b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF"}


def _webp_metadata(data: bytes) -> _Found:
    found, pos = _Found(), 12
    end = min(len(data), 8 + int.from_bytes(data[4:8], "little"))
    while pos + 8 <= end and found.parts <= MAX_IMAGE_PARTS:
        found.parts += 1
        kind = data[pos : pos + 4]
        length = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + length]
        pos += 8 + length + (length & 1)
        if kind == b"VP8L":
            found.lossless = True
        if kind in {b"VP8X", b"VP8L", b"VP8 "}:
            found.pixels = found.pixels or _webp_pixels(kind, body)
            found.decoded_bytes = found.pixels * WEBP_DECODE_BYTES_PER_PIXEL
        if kind == b"EXIF":
            found.codes |= _exif_codes(body)
        elif kind == b"XMP ":
            found.codes |= _xmp_codes(body)
        elif kind not in _WEBP_STRUCTURE:
            found.codes.add("other")  # ICCP and unknown chunks
    if data[end:].strip(b"\0\r\n\t "):
        found.codes.add("other")  # data after the RIFF container: a polyglot
    return found


def _webp_pixels(kind: bytes, body: bytes) -> int:
    if kind == b"VP8X" and len(body) >= 10:
        return (int.from_bytes(body[4:7], "little") + 1) * (int.from_bytes(body[7:10], "little") + 1)
    if kind == b"VP8L" and len(body) >= 5:
        bits = int.from_bytes(body[1:5], "little")
        return ((bits & 0x3FFF) + 1) * (((bits >> 14) & 0x3FFF) + 1)
    if kind == b"VP8 " and len(body) >= 10:
        return (int.from_bytes(body[6:8], "little") & 0x3FFF) * (int.from_bytes(body[8:10], "little") & 0x3FFF)
    return 0


_IMAGE_METADATA = {"jpeg": _jpeg_metadata, "png": _png_metadata, "webp": _webp_metadata}
