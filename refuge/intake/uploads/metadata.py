"""What EXIF and XMP blocks hold, by group, for images and PDFs alike."""

from __future__ import annotations

import zlib

from PIL import ExifTags, Image

from refuge.intake.uploads.errors import _IMAGE_FAILURES
from refuge.intake.uploads.limits import MAX_METADATA_TEXT_BYTES


def _inflate_capped(compressed: bytes) -> bytes:
    """At most MAX_METADATA_TEXT_BYTES of a zlib stream: a bomb stops at the cap."""
    try:
        return zlib.decompressobj().decompress(compressed, MAX_METADATA_TEXT_BYTES)
    except zlib.error:
        return b"?"  # unreadable, yet something was there


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
