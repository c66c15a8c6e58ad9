"""PDFs are rewritten without metadata or active content; their pages are left as they were."""

from __future__ import annotations

import io
import time

import pikepdf

from refuge.intake import uploads
from tests.corpus.make_upload_corpus import PLANTED, new_pdf, pdf_bytes, raw_pdf
from tests.intake.uploads.helpers import CORPUS_DIR, LIBRARY_WARNINGS, pdf_as_text, refusal, sanitise_bytes

pytestmark = LIBRARY_WARNINGS


def test_scripts_actions_attachments_and_metadata_are_gone() -> None:
    original = (CORPUS_DIR / "pdf_javascript_metadata.pdf").read_bytes()

    upload = sanitise_bytes(original, "statement.pdf")

    text = pdf_as_text(upload.data)
    for marker in (b"/JavaScript", b"/JS", b"/OpenAction", b"/Launch", b"/EmbeddedFile", b"/Metadata", b"/Info"):
        assert marker not in text
    assert [planted for planted in PLANTED if planted in text] == []
    with pikepdf.open(io.BytesIO(upload.data)) as pdf:
        assert "/Info" not in pdf.trailer
        assert len(pdf.attachments) == 0


def test_the_pages_are_not_altered() -> None:
    source = new_pdf(pages=3)
    for number, page in enumerate(source.pages):
        page.Contents = source.make_stream(b"BT /F1 12 Tf 10 10 Td (page %d) Tj ET" % number)
    source.docinfo["/Author"] = "Planted Author"

    upload = sanitise_bytes(pdf_bytes(source))

    assert upload.removed == ("author",)
    with pikepdf.open(io.BytesIO(upload.data)) as pdf:
        contents = [page.Contents.read_bytes() for page in pdf.pages]
    assert contents == [b"BT /F1 12 Tf 10 10 Td (page %d) Tj ET" % number for number in range(3)]


def test_the_document_id_is_made_new() -> None:
    original = (CORPUS_DIR / "pdf_trailing_data.pdf").read_bytes()
    with pikepdf.open(io.BytesIO(original)) as pdf:
        original_id = bytes(pdf.trailer.ID[0])

    upload = sanitise_bytes(original)

    with pikepdf.open(io.BytesIO(upload.data)) as pdf:
        assert original_id not in {bytes(part) for part in pdf.trailer.ID}


def test_data_after_the_end_of_a_pdf_is_dropped() -> None:
    upload = sanitise_bytes((CORPUS_DIR / "pdf_trailing_data.pdf").read_bytes())
    assert upload.data.rstrip().endswith(b"%%EOF")
    assert b"<html" not in upload.data and b"PK\x03\x04" not in upload.data


def test_a_pdf_that_opens_without_a_password_comes_out_unencrypted() -> None:
    upload = sanitise_bytes((CORPUS_DIR / "pdf_owner_password_only.pdf").read_bytes())
    with pikepdf.open(io.BytesIO(upload.data)) as pdf:
        assert not pdf.is_encrypted


def test_an_owner_password_pdf_keeps_readable_pages() -> None:
    source = new_pdf(pages=2)
    for number, page in enumerate(source.pages):
        page.Contents = source.make_stream(b"BT (page %d) Tj ET" % number)
    encrypted = pdf_bytes(source, encryption=pikepdf.Encryption(owner="owner", user="", R=4, aes=True))

    upload = sanitise_bytes(encrypted)

    with pikepdf.open(io.BytesIO(upload.data)) as pdf:
        assert [page.Contents.read_bytes() for page in pdf.pages] == [b"BT (page 0) Tj ET", b"BT (page 1) Tj ET"]


def test_a_pdf_with_a_password_is_refused_with_a_message_saying_so() -> None:
    error = refusal((CORPUS_DIR / "pdf_encrypted.pdf").read_bytes(), "passport.pdf")
    assert error.code == "pdf_password"
    assert "password" in str(error.message)


def test_a_pdf_of_exactly_the_page_limit_is_accepted_and_one_more_is_not() -> None:
    at_limit = pdf_bytes(new_pdf(uploads.MAX_PDF_PAGES), object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert sanitise_bytes(at_limit).kind == "pdf"
    assert refusal((CORPUS_DIR / "pdf_too_many_pages.pdf").read_bytes()).code == "pdf_too_long"


def test_a_pdf_with_no_pages_is_refused_as_damaged() -> None:
    empty = raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])
    assert refusal(empty).code == "file_damaged"


def test_a_pdf_made_of_too_many_objects_is_refused_quickly() -> None:
    objects = [b"<< /Type /Catalog /Pages 2 0 R /Junk 4 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>")
    count = uploads.MAX_PDF_OBJECTS + 10
    objects.append(b"[" + b" ".join(b"%d 0 R" % number for number in range(5, count + 5)) + b"]")
    objects += [b"<< /A 1 >>"] * count
    started = time.monotonic()

    error = refusal(raw_pdf(objects))

    assert error.code == "pdf_too_long"
    assert time.monotonic() - started < 5


def test_a_pdf_made_of_too_many_nested_entries_is_refused() -> None:
    junk = b"[" + b"<< >> " * (uploads.MAX_PDF_ENTRIES + 1) + b"]"
    pdf = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Junk 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>",
            junk,
        ]
    )
    assert refusal(pdf).code == "pdf_too_long"


def test_an_xmp_bomb_is_not_inflated() -> None:
    started = time.monotonic()
    upload = sanitise_bytes((CORPUS_DIR / "pdf_metadata_bomb.pdf").read_bytes())
    assert time.monotonic() - started < 2
    assert len(upload.data) < 10_000
