"""PDFs: rewritten by qpdf without metadata or active content."""

from __future__ import annotations

import io
from collections.abc import Iterable

import pikepdf
from pikepdf.sanitize import Sanitizer

from refuge.intake.uploads.errors import _refusal
from refuge.intake.uploads.limits import MAX_PDF_ENTRIES, MAX_PDF_OBJECTS, MAX_PDF_PAGES
from refuge.intake.uploads.metadata import _inflate_capped, _xmp_codes

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
