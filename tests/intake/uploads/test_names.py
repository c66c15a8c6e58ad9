"""A file name is shown to caseworkers: it cannot hide its type, its direction or a path."""

from __future__ import annotations

import pytest

from refuge.intake.uploads import MAX_NAME_CHARS, safe_name
from tests.corpus.make_upload_corpus import encode, two_colour_picture
from tests.intake.uploads.helpers import sanitise_bytes


@pytest.mark.parametrize(
    ("name", "kind", "expected"),
    [
        ("../../etc/passwd.jpg", "jpeg", "passwd.jpg"),
        ("C:\\Users\\Ivan\\Desktop\\паспорт.jpg", "jpeg", "паспорт.jpg"),
        ("/var/tmp/../..\\scan.pdf", "pdf", "scan.pdf"),
        ("invoice\u202egpj.exe", "pdf", "invoicegpj.pdf"),  # right-to-left override: would show "exe.jpg"
        ("report\u2066\u2069\u200e\u200f\u061c.pdf", "pdf", "report.pdf"),
        ("a\x00b\x1b[31mc\x7f.png", "png", "ab[31mc.png"),
        ("line\nbreak\u2028here.pdf", "pdf", "line break here.pdf"),
        ("\ufeffbom.pdf", "pdf", "bom.pdf"),
        ("photo.png", "jpeg", "photo.jpg"),  # the extension follows the content
        ("virus.exe", "pdf", "virus.pdf"),
        ("IMG_0001.JPEG", "jpeg", "IMG_0001.JPEG"),
        ("scan", "pdf", "scan.pdf"),
        ("Иванов И.И", "pdf", "Иванов И.И.pdf"),  # initials are not an extension
        (".bashrc", "pdf", "bashrc.pdf"),
        ("..", "pdf", "document.pdf"),
        ("", "jpeg", "photo.jpg"),
        ("   ", "png", "photo.png"),
        ("\u202e", "webp", "photo.webp"),
        ("e\u0301cole.pdf", "pdf", "\u00e9cole.pdf"),  # NFC: one code point, as typed
        ("می\u200cخواهم.jpg", "jpeg", "می\u200cخواهم.jpg"),  # Persian keeps its zero-width non-joiner
        ("many   spaces\t here.pdf", "pdf", "many spaces here.pdf"),
    ],
)
def test_a_name_is_made_safe_to_show(name: str, kind: str, expected: str) -> None:
    assert safe_name(name, kind) == expected


def test_a_long_name_is_cut_but_keeps_its_extension() -> None:
    name = safe_name("я" * 300 + ".jpeg", "jpeg")
    assert len(name) == MAX_NAME_CHARS
    assert name == "я" * (MAX_NAME_CHARS - 5) + ".jpeg"


def test_a_long_name_without_extension_gets_one_within_the_limit() -> None:
    name = safe_name("x" * 1000, "pdf")
    assert len(name) == MAX_NAME_CHARS and name.endswith(".pdf")


def test_an_uploaded_file_carries_its_safe_name() -> None:
    upload = sanitise_bytes(encode(two_colour_picture(), "PNG"), "..\\..\\secret\u202egnp.exe")
    assert upload.name == "secretgnp.png"
