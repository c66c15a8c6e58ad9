"""Uploads from requesters: type checked by content, metadata stripped, limits enforced.

A requester's file is hostile until proven otherwise: it may come from a plant, and it
may carry what betrays the requester (the GPS position in a photo, a phone's serial
number, the author of a PDF). Every accepted file is rebuilt, never passed through:

- images (JPEG, PNG, WebP) are decoded and their pixels alone re-encoded into a new
  file, so no EXIF, XMP, ICC profile, comment, thumbnail or appended data survives;
- PDFs are rewritten by qpdf without the Info dictionary, XMP metadata, scripts,
  actions that open links or programs, embedded files and thumbnails. The content of
  the pages (text, drawings, images placed on them) is NOT altered: a photo placed
  inside a PDF keeps whatever metadata it carries inside the page.

Work is bounded before it starts: at most MAX_FILE_BYTES + 1 bytes are read, image
dimensions are checked from the header before any pixel is decoded, and qpdf runs
under memory and object limits.
"""

from __future__ import annotations

import contextlib
import io
import re
import struct
import unicodedata
import warnings
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import pikepdf
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from pikepdf.sanitize import Sanitizer
from PIL import ExifTags, Image, ImageOps

from refuge.core.errors import UserError

# Limits (DESIGN.md §8). A legitimate upload is a phone photo or a scanned document.
MAX_FILE_BYTES = 10 * 1024 * 1024  # per file; a 12-megapixel phone photo is 2–5 MiB
MAX_FILES_PER_UPLOAD = 5  # per form submission
MAX_IMAGE_PIXELS = 40_000_000  # an A4 page scanned at 600 dpi is 35 MP; rebuilding takes ≈ 8 bytes per pixel
MAX_WEBP_PIXELS = 16_000_000  # Pillow's WebP decoder takes ≈ 15 bytes per pixel
MAX_JPEG_SCANS = 100  # progressive JPEGs use ~10 scans; thousands are a CPU bomb
MAX_IMAGE_PARTS = 20_000  # JPEG segments, PNG or WebP chunks: a photo has tens, a big PNG ~1,000
MAX_PDF_PAGES = 200
MAX_PDF_OBJECTS = 50_000  # a 200-page scan has a few thousand; more is a bomb, not a document
MAX_PDF_ENTRIES = 500_000  # dictionary and array entries inspected, all objects together
MAX_PDF_STREAM_MEMORY = 64 * 1024 * 1024  # qpdf's ceiling for decoding one stream (e.g. an object stream)
MAX_NAME_CHARS = 100  # of the display name, extension included
MAX_METADATA_TEXT_BYTES = 1024 * 1024  # of compressed metadata (PNG text, PDF XMP) read to classify it

# Pillow refuses larger images itself (DecompressionBombError above twice this), and a
# DecompressionBombWarning is an error in this process: a bomb never gets to allocate.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
# A PDF whose streams inflate to gigabytes (a zip bomb inside a PDF) fails instead of
# exhausting memory; a damaged file that floods qpdf with warnings is given up on.
pikepdf.settings.set_qpdf_limits(
    flate_max_memory=MAX_PDF_STREAM_MEMORY,
    png_max_memory=MAX_PDF_STREAM_MEMORY,
    run_length_max_memory=MAX_PDF_STREAM_MEMORY,
    tiff_max_memory=MAX_PDF_STREAM_MEMORY,
    dct_max_memory=MAX_PDF_STREAM_MEMORY,
    doc_max_warnings=1000,
)


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

_EXTENSIONS = {"jpeg": ("jpg", "jpeg"), "png": ("png",), "webp": ("webp",), "pdf": ("pdf",)}
_DEFAULT_STEMS = {"jpeg": "photo", "png": "photo", "webp": "photo", "pdf": "document"}


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
    if kind == "pdf":
        clean, removed = _sanitise_pdf(data, name)
    else:
        clean, removed = _sanitise_image(kind, data, name)
    ordered = tuple(code for code in REMOVED_LABELS if code in removed)
    return CleanUpload(kind=kind, data=clean, name=safe_name(name, kind), removed=ordered)


def safe_name(name: str, kind: str | None = None) -> str:
    """The file name to display: no path, no control or bidi characters, a bounded length."""
    # A name like "../../etc/passwd" or "C:\\x\\y" shows as its last part only.
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    # Control characters and bidi overrides could make "gpj.exe" display as "exe.jpg";
    # ZWNJ/ZWJ stay, as Persian names and emoji need them.
    name = "".join(char for char in name if _visible(char))
    name = " ".join(name.split()).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,5}", ext):
        stem, ext = name, ""
    if kind is not None:
        # The extension always matches the content: a PDF never displays as "x.exe".
        ext = ext if ext.lower() in _EXTENSIONS[kind] else _EXTENSIONS[kind][0]
        stem = stem.rstrip(" .") or _DEFAULT_STEMS[kind]
    suffix = f".{ext}" if ext else ""
    return stem[: MAX_NAME_CHARS - len(suffix)].rstrip(" .") + suffix


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    if char in "\u200c\u200d" or char.isspace():
        return True  # whitespace of every kind becomes one space below
    return category not in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def _refusal(code: str, name: str, limit: int = 0) -> UserError:
    """The UserError for `code`, naming the file so that a requester sending five knows which."""
    messages = {
        "file_empty": _("“%(name)s” is empty. Please choose the file again."),
        "file_too_big": _(
            "“%(name)s” is too large: each file can be at most %(limit)d MB. "
            "Please send a smaller photo, or split the document into parts."
        ),
        "file_type_not_allowed": _(
            "We cannot accept “%(name)s”. Please send photos as JPEG, PNG or WebP, and documents as PDF."
        ),
        "file_type_heic": _(
            "“%(name)s” is a HEIC photo, which we cannot accept. Please send it as JPEG: "
            "for example, take a screenshot of it and send the screenshot."
        ),
        "file_damaged": _(
            "“%(name)s” seems to be damaged, so we could not open it. "
            "Please send it again, or take a new photo of the document."
        ),
        "image_too_large": _(
            "The picture “%(name)s” is too large (more than %(limit)d megapixels). "
            "Please send a smaller version; a screenshot of it works too."
        ),
        "pdf_too_long": _(
            "“%(name)s” has more than %(limit)d pages. "
            "Please send only the pages that matter, or split it into several files."
        ),
        "pdf_too_complex": _(
            "“%(name)s” is too complex for us to check. Please send fewer pages at a time, or photos of the pages."
        ),
        "pdf_password": _(
            "“%(name)s” is protected with a password, so we cannot check it. "
            "Please send it without the password, or send photos of the pages instead."
        ),
    }
    limits = {"file_too_big": MAX_FILE_BYTES // (1024 * 1024), "pdf_too_long": MAX_PDF_PAGES}
    values = {"name": safe_name(name) or _("untitled"), "limit": limit or limits.get(code, 0)}
    # HEIC is refused like any other type; its own message only says how to fix it.
    public_code = {"file_type_heic": "file_type_not_allowed", "pdf_too_complex": "pdf_too_long"}.get(code, code)
    return UserError(public_code, messages[code] % values, field="files")


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


# -- What the file is: decided by its bytes, never by its name or the browser's type.


def _detect_kind(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    # Readers accept a PDF header anywhere in the first kilobyte; whatever precedes
    # it is dropped when the file is rewritten.
    if b"%PDF-" in data[:1024]:
        return "pdf"
    return None


def _is_heic(data: bytes) -> bool:
    return data[4:8] == b"ftyp" and data[8:12] in {b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"}


# -- Images: pixels out, a new file in.

# Everything the decoders may raise on hostile input. Nothing else is expected.
# OSError: truncated data, unknown formats; SyntaxError: Pillow's "not a valid header";
# Warning: a library warning that the process raises as an error (python -W error).
_IMAGE_FAILURES: tuple[type[Exception], ...] = (OSError, SyntaxError, EOFError, struct.error, ValueError)
_IMAGE_FAILURES += (TypeError, KeyError, IndexError, OverflowError, ZeroDivisionError, Warning)


def _sanitise_image(kind: str, data: bytes, name: str) -> tuple[bytes, set[str]]:
    found = _IMAGE_METADATA[kind](data)
    limit = MAX_WEBP_PIXELS if kind == "webp" else MAX_IMAGE_PIXELS
    # Decompression bombs are refused from the header, before a pixel is allocated.
    if found.pixels > limit:
        raise _refusal("image_too_large", name, limit // 1_000_000)
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


@dataclass
class _Found:
    codes: set[str] = field(default_factory=set)
    scans: int = 0  # JPEG start-of-scan markers
    pixels: int = 0  # WebP canvas size, read before Pillow allocates it
    parts: int = 0  # segments or chunks walked
    broken: bool = False  # no structure to walk where one must be
    lossless: bool = False  # WebP stored losslessly (VP8L)


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
        pos += max(length, 2)
        if marker == 0xDA:  # start of scan: skip the entropy-coded data to the next marker
            found.scans += 1
            entropy_end = _ENTROPY_END.search(data, pos)
            pos = entropy_end.start() if entropy_end else len(data)
    if data[pos:].strip(b"\0\r\n\t "):
        found.codes.add("other")  # appended data: a ZIP or HTML polyglot, a second picture, a video
    return found


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


def _inflate_capped(compressed: bytes) -> bytes:
    """At most MAX_METADATA_TEXT_BYTES of a zlib stream: a bomb stops at the cap."""
    try:
        return zlib.decompressobj().decompress(compressed, MAX_METADATA_TEXT_BYTES)
    except zlib.error:
        return b"?"  # unreadable, yet something was there


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

_EXIF_CODES = {
    0x010F: "camera",  # Make
    0x0110: "camera",  # Model
    0xA431: "camera",  # BodySerialNumber
    0xA432: "camera",  # LensSpecification
    0xA433: "camera",  # LensMake
    0xA434: "camera",  # LensModel
    0xA435: "camera",  # LensSerialNumber
    0x927C: "camera",  # MakerNote: vendor data, often a serial number
    0x0132: "datetime",  # DateTime
    0x9003: "datetime",  # DateTimeOriginal
    0x9004: "datetime",  # DateTimeDigitized
    0x9010: "datetime",  # OffsetTime (reveals the time zone)
    0x9011: "datetime",
    0x9012: "datetime",
    0x9290: "datetime",  # SubSecTime…
    0x9291: "datetime",
    0x9292: "datetime",
    0x0131: "software",  # Software
    0x000B: "software",  # ProcessingSoftware
    0x013C: "software",  # HostComputer
    0x013B: "author",  # Artist
    0x8298: "author",  # Copyright
    0xA430: "author",  # CameraOwnerName
    0x9C9D: "author",  # XPAuthor
    0x010E: "comment",  # ImageDescription
    0x9286: "comment",  # UserComment
    0x9C9B: "comment",  # XPTitle
    0x9C9C: "comment",  # XPComment
    0x9C9E: "comment",  # XPKeywords
    0x9C9F: "comment",  # XPSubject
}
# How the picture is stored, not who, where or when: removed without being reported.
_EXIF_STRUCTURE = {0x0100, 0x0101, 0x0112, 0x011A, 0x011B, 0x0128, 0x0213, 0x8769, 0x8825, 0xA005}
_EXIF_STRUCTURE |= {0x9000, 0x9101, 0xA000, 0xA001, 0xA002, 0xA003}
_GPS_POSITION = {1, 2, 3, 4, 5, 6, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C}
_GPS_TIME = {7, 0x1D}


def _exif_codes(raw: bytes) -> set[str]:
    """What an EXIF block holds, by group; an unreadable block still counts as "other"."""
    codes: set[str] = set()
    try:
        exif = Image.Exif()
        exif.load(raw)
        for tag in [*exif, *exif.get_ifd(ExifTags.IFD.Exif)]:
            if tag in _EXIF_CODES:
                codes.add(_EXIF_CODES[tag])
            elif tag not in _EXIF_STRUCTURE:
                codes.add("other")
        for tag in exif.get_ifd(ExifTags.IFD.GPSInfo):
            if tag != 0:  # GPSVersionID alone says nothing
                codes.add("gps" if tag in _GPS_POSITION else "datetime" if tag in _GPS_TIME else "other")
        thumbnail_ifd = exif.get_ifd(ExifTags.IFD.IFD1)
        if thumbnail_ifd:
            codes.add("thumbnail" if {0x0201, 0x0111} & set(thumbnail_ifd) else "other")
    except _IMAGE_FAILURES:
        codes.add("other")
    return codes


_XMP_CODES = {
    "gps": (b"GPSLatitude", b"GPSLongitude"),
    "camera": (b"tiff:Make", b"tiff:Model", b"aux:SerialNumber", b"aux:Lens", b"BodySerialNumber", b"LensModel"),
    "datetime": (b"xmp:CreateDate", b"xmp:ModifyDate", b"xmp:MetadataDate", b"DateTimeOriginal", b"DateCreated"),
    "software": (b"xmp:CreatorTool", b"tiff:Software", b"pdf:Producer"),
    "author": (b"dc:creator", b"tiff:Artist", b"dc:rights", b"xmpRights:Owner", b"pdf:Author"),
    "comment": (b"dc:description", b"dc:title", b"dc:subject", b"UserComment", b"pdf:Keywords"),
}


def _xmp_codes(xmp: bytes) -> set[str]:
    """XMP always holds something ("other": document ids, history); some of it by group."""
    return {"other"} | {code for code, names in _XMP_CODES.items() if any(name in xmp for name in names)}


# -- PDFs: rewritten by qpdf without metadata or active content.

# Everything pikepdf may raise on hostile input (and its warnings, when raised as errors).
_PDF_FAILURES: tuple[type[Exception], ...] = (pikepdf.PikepdfError, RuntimeError, ValueError, TypeError)
_PDF_FAILURES += (KeyError, IndexError, OverflowError, Warning)
_INFO_CODES = {
    "/Author": "author",
    "/Creator": "software",
    "/Producer": "software",
    "/CreationDate": "datetime",
    "/ModDate": "datetime",
    "/Title": "comment",
    "/Subject": "comment",
    "/Keywords": "comment",
}
# Markers of content that runs, opens, submits or plays something when the file is viewed.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent", "/Launch"}
_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/URI", "/GoToR", "/GoToE", "/SubmitForm", "/ImportData"}
_ACTIVE_ACTIONS |= {"/Rendition", "/Movie", "/Sound", "/RichMediaExecute"}
_ACTIVE_SUBTYPES = {"/FileAttachment", "/Movie", "/Sound", "/RichMedia", "/Screen", "/3D"}


class _TooComplex(Exception):
    """More objects or entries than a document needs: refused before it costs more time."""


def _sanitise_pdf(data: bytes, name: str) -> tuple[bytes, set[str]]:
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if len(pdf.get_xref_table()) > MAX_PDF_OBJECTS:
                raise _TooComplex  # counted before any object is parsed
            pages = len(pdf.pages)
            if pages == 0:
                raise _refusal("file_damaged", name)  # nothing to show: not a document
            if pages > MAX_PDF_PAGES:
                raise _refusal("pdf_too_long", name)
            objects = pdf.objects
            removed = _strip_info(pdf) | _strip_marked(objects) | _appended_to_pdf(data)
            _remove_active_content(pdf)
            out = io.BytesIO()
            # No stream is decoded on the way out (a deflate bomb stays inert), the
            # document id is derived from the new content (the old one may name the
            # machine and time it was made) and any owner-password encryption goes.
            pdf.save(
                out,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                fix_metadata_version=False,
                deterministic_id=True,
                encryption=False,
            )
    except _TooComplex:
        raise _refusal("pdf_too_complex", name) from None
    except pikepdf.PasswordError:
        raise _refusal("pdf_password", name) from None
    except _PDF_FAILURES:
        raise _refusal("file_damaged", name) from None
    return out.getvalue(), removed


def _appended_to_pdf(data: bytes) -> set[str]:
    """Data after the last %%EOF (a polyglot's payload) is not written out again."""
    end = data.rfind(b"%%EOF")
    return {"other"} if end >= 0 and data[end + 5 :].strip(b"\0\r\n\t ") else set()


def _remove_active_content(pdf: pikepdf.Pdf) -> None:
    """Scripts, launch/link/submit actions, attachments, multimedia, thumbnails, indexes."""
    (
        Sanitizer()
        .remove_javascript()
        .remove_attachments()
        .remove_external_access()
        .remove_multimedia()
        .remove_thumbnails()
        .remove_search_index()
        .remove_web_capture()
        .remove_private_app_data()
        .remove_collection()
        .apply(pdf)
    )


def _strip_info(pdf: pikepdf.Pdf) -> set[str]:
    """Remove the document Info dictionary (author, producer, dates)."""
    info = pdf.trailer.get("/Info")
    codes: set[str] = set()
    if isinstance(info, pikepdf.Dictionary):
        for key in info.keys():  # noqa: SIM118 - a pikepdf Dictionary iterates its keys only through keys()
            value = info.get(key)
            if isinstance(value, pikepdf.String) and not bytes(value).strip():
                continue  # an empty field told nothing
            codes.add(_INFO_CODES.get(key, "other"))
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    if "/ID" in pdf.trailer:
        del pdf.trailer["/ID"]  # may be derived from the machine, path and time that made the file
    return codes


def _strip_marked(objects: Iterable[pikepdf.Object]) -> set[str]:
    """Remove XMP metadata and private application data from every object; note active content."""
    codes: set[str] = set()
    stack = list(objects)
    # Every object and every entry counts, so a 10 MiB file of tiny nested objects
    # costs about a second here, then is refused as too complex.
    budget = MAX_PDF_ENTRIES
    while stack:
        obj = stack.pop()
        if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
            continue
        budget -= 1 + len(obj.keys() if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)) else obj)
        if budget < 0:
            raise _TooComplex
        children: Iterable[pikepdf.Object]
        if isinstance(obj, pikepdf.Array):
            children = obj
        else:
            entries = {key: obj[key] for key in obj.keys()}  # noqa: SIM118 - pikepdf iterates keys only so
            codes |= _strip_dictionary(obj, entries)
            children = entries.values()
        # Indirect objects are all in `objects` already; only nested direct ones are pushed.
        stack.extend(
            child
            for child in children
            if isinstance(child, (pikepdf.Dictionary, pikepdf.Array)) and not child.is_indirect
        )
    return codes


def _strip_dictionary(obj: pikepdf.Object, entries: dict[str, pikepdf.Object]) -> set[str]:
    codes: set[str] = set()
    if "/Metadata" in entries:
        codes |= _metadata_stream_codes(entries["/Metadata"])
        del obj["/Metadata"]
    if isinstance(obj, pikepdf.Stream) and _name(entries.get("/Type")) == "/Metadata":
        codes |= _metadata_stream_codes(obj)
        obj.write(b"")  # XMP wherever it is referenced from, not only as /Metadata
    if "/PieceInfo" in entries:
        codes.add("other")  # private data of the editing application
    if "/Thumb" in entries:
        codes.add("thumbnail")
    if (
        _ACTIVE_KEYS.intersection(entries)
        or _name(entries.get("/S")) in _ACTIVE_ACTIONS
        or _name(entries.get("/Subtype")) in _ACTIVE_SUBTYPES
    ):
        codes.add("active_content")
    if "/XFA" in entries:
        del obj["/XFA"]  # XML forms carry their own scripts; the AcroForm fields remain
    return codes


def _metadata_stream_codes(metadata: pikepdf.Object | None) -> set[str]:
    if not isinstance(metadata, pikepdf.Stream):
        return {"other"}
    raw, method = metadata.read_raw_bytes(), metadata.get("/Filter")
    if not raw:
        return set()  # emptied by _strip_dictionary already
    if method is None:
        return _xmp_codes(raw)
    # Only the start of a compressed XMP stream is read: an inflating bomb stops at the cap.
    return _xmp_codes(_inflate_capped(raw)) if _name(method) == "/FlateDecode" else {"other"}


def _name(value: pikepdf.Object | None) -> str | None:
    return str(value) if isinstance(value, pikepdf.Name) else None
