"""Bodies the portal cannot take whole: refused with the form and a clear message, nothing stored.

Each case is one a person or a network can really produce: a connection cut inside a
file, a long file name, a picker with hundreds of photos, an oversized body; and a body
refused on every other route before it is read, never spilled to a temporary file.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files import uploadedfile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from tests.requester.helpers import ANSWERS, form_token, page, rows

pytestmark = pytest.mark.usefixtures("world")


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _photo(name: str = "photo.png", data: bytes | None = None) -> io.BytesIO:
    upload = io.BytesIO(_png() if data is None else data)
    upload.name = name
    return upload


def _ask_body(client: Client, **extra: Any) -> bytes:
    token = form_token(page(client, "/r/north/ask/"))
    return encode_multipart(BOUNDARY, {**ANSWERS, "form_token": token, **extra})


def _post_raw(client: Client, url: str, body: bytes) -> Any:
    return client.generic("POST", url, body, content_type=MULTIPART_CONTENT)


def test_a_body_cut_inside_a_file_is_refused_and_nothing_is_stored(client: Client) -> None:
    body = _ask_body(client, files=_photo())
    before = rows()
    # The connection dropped in the middle of the photo: no closing boundary ever came.
    cut = body[: body.index(b"IDAT") + 20]
    response = _post_raw(client, "/r/north/ask/", cut)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Only part of the form arrived" in html and "nothing was sent" in html
    assert "receipt" not in html.lower() or "receipt__group" not in html
    assert rows() == before
    # The text that arrived whole is back in the form.
    assert ANSWERS["what_happened"] in html


def test_the_whole_body_is_still_taken(client: Client) -> None:
    response = _post_raw(client, "/r/north/ask/", _ask_body(client, files=_photo()))
    assert response.status_code == 200 and "receipt__group" in response.content.decode()
    assert rows()["files"] == 1


def test_a_file_name_of_600_cyrillic_letters_comes_back_with_the_form(client: Client) -> None:
    response = _post_raw(client, "/r/north/ask/", _ask_body(client, files=_photo("Паспорт" * 86 + ".png")))
    html = response.content.decode()
    assert response.status_code == 400
    assert "A file name is too long" in html and "Bad request" not in html
    assert ANSWERS["what_happened"] in html and ANSWERS["anything_else"] in html
    assert rows()["requests"] == 0


def test_hundreds_of_files_come_back_with_the_form(client: Client) -> None:
    photos = [_photo(f"{number}.png", b"x") for number in range(101)]
    response = _post_raw(client, "/r/north/ask/", _ask_body(client, files=photos))
    html = response.content.decode()
    assert response.status_code == 400
    assert "You chose far more files than can be sent at once" in html and "at most 5 files" in html
    assert ANSWERS["what_happened"] in html
    assert rows()["requests"] == 0


def test_more_than_200_fields_or_256_kb_of_text_come_back_with_a_message(client: Client) -> None:
    many = {f"extra{number}": "x" for number in range(200)}
    response = _post_raw(client, "/r/north/ask/", _ask_body(client, **many))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This form has more fields than we accept" in html and ANSWERS["what_happened"] in html
    response = _post_raw(client, "/r/north/ask/", _ask_body(client, zz_padding="я" * 140_000))
    html = response.content.decode()
    assert response.status_code == 400 and "The text of this form is too long" in html
    assert ANSWERS["what_happened"] in html
    assert rows()["requests"] == 0


def test_a_body_larger_than_the_upload_cap_is_refused_unread_with_the_form(client: Client) -> None:
    # Content-Length says 60 MB; the test client would fail loudly if more than it holds were read.
    response = client.generic(
        "POST", "/r/north/ask/", b"--x", content_type=MULTIPART_CONTENT, CONTENT_LENGTH=str(60 * 1024 * 1024)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "What you sent is too large" in html and "at most 50 MB" in html
    assert 'name="what_happened"' in html


def test_other_routes_refuse_a_large_body_before_reading_it(client: Client) -> None:
    response = client.generic(
        "POST", "/login/", b"--x", content_type=MULTIPART_CONTENT, CONTENT_LENGTH=str(60 * 1024 * 1024)
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The text of this form is too long" in html and "Bad request" not in html


def test_no_route_writes_an_upload_to_a_temporary_file(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("an upload went to a temporary file")

    monkeypatch.setattr(uploadedfile.TemporaryUploadedFile, "__init__", refuse)
    # Under the default cap, to a route that takes no files (Django's default spills above 2.5 MB
    # only, so force the point with a setting as small as it goes).
    from django.test import override_settings

    with override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=0):
        response = client.post("/login/", {"organisation": "north", "file": _photo()})
        assert response.status_code in {200, 400}
        big = _photo("scan.png", b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024))
        response = _post_raw(client, "/r/north/ask/", _ask_body(client, files=big))
        assert response.status_code == 400 and "seems to be damaged" in response.content.decode()


def test_a_reply_cut_short_keeps_the_message_and_sends_nothing(client: Client) -> None:
    from tests.requester.helpers import open_request, receipt_in, send_request

    receipt = receipt_in(send_request(client).content.decode())
    open_request(client, receipt)
    token = form_token(page(client, "/r/request/"))
    before = rows()
    body = encode_multipart(BOUNDARY, {"body": "Are you there?", "form_token": token, "files": _photo()})
    response = _post_raw(client, "/r/request/", body[: body.index(b"IDAT")])
    html = response.content.decode()
    assert response.status_code == 400
    assert "Only part of the form arrived" in html and "Are you there?" in html
    assert rows() == before


def test_when_every_decode_slot_is_taken_the_form_comes_back_busy_as_typed(client: Client) -> None:
    import threading

    from django.test import override_settings

    from refuge.intake.uploads.slots import decode_slot

    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with decode_slot():
            holding.set()
            release.wait(10)

    body = _ask_body(client, files=_photo())
    with override_settings(REFUGE_UPLOAD_DECODES=1, REFUGE_UPLOAD_WAIT_SECONDS=1):
        worker = threading.Thread(target=hold)
        worker.start()
        try:
            assert holding.wait(5)
            before = rows()
            response = _post_raw(client, "/r/north/ask/", body)
        finally:
            release.set()
            worker.join()
    html = response.content.decode()
    assert response.status_code == 400
    assert "We are checking many files right now" in html and ANSWERS["what_happened"] in html
    assert rows() == before
