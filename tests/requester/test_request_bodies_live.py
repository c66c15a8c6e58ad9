"""A connection cut inside a file, against the real server: nothing is stored.

Issue #16.10 found that a request whose body stopped in the middle of its file was
stored without the file and answered 200. Here a client announces the whole body's
Content-Length, sends the form up to the middle of its photo and closes its side of
the connection, as a phone losing its network does; the server and Django see a body
shorter than announced. The same form sent whole is stored with its file.
"""

from __future__ import annotations

import http.client
import io
import re
import socket
import sqlite3
from pathlib import Path

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from tests.support.server import initialised_organisation, running_server

pytestmark = pytest.mark.slow


def _photo() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.effect_noise((256, 256), 64).convert("RGB").save(buffer, "PNG")
    upload = io.BytesIO(buffer.getvalue())
    upload.name = "photo.png"
    return upload


def _form(port: int) -> tuple[str, bytes]:
    """The form's cookie header and a body with its tokens, a story and a photo."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/r/live/ask/")
        response = connection.getresponse()
        html = response.read().decode()
    finally:
        connection.close()
    cookies = "; ".join(value.split(";", 1)[0] for key, value in response.getheaders() if key.lower() == "set-cookie")
    tokens = {
        name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        for name in ("csrfmiddlewaretoken", "form_token")
    }
    fields = {**tokens, "what_happened": "They came at night", "where_now": "Kazan", "urgency": "now"}
    return cookies, encode_multipart(BOUNDARY, {**fields, "files": _photo()})


def _send(port: int, cookies: str, body: bytes, sent: int) -> bytes:
    """POST announcing the whole body; send `sent` bytes of it (closing our side when that is not
    all of it, as a phone losing its network does), read the answer. A whole body is sent as a
    browser sends it, the connection left open for the answer: granian (hyper) drops a
    connection whose client half-closes it before the answer, where gunicorn answered."""
    head = (
        f"POST /r/live/ask/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {MULTIPART_CONTENT}\r\n"
        f"Content-Length: {len(body)}\r\nCookie: {cookies}\r\nSec-Fetch-Site: same-origin\r\n"
        "Origin: null\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head + body[:sent])
        if sent < len(body):
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def _stored(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "refuge.sqlite3") as database:
        return int(database.execute("SELECT count(*) FROM intake_helprequest").fetchone()[0])


# The server runs on a data directory of its own, always on SQLite (refuge_env), in either layer.
def test_a_connection_cut_inside_a_file_stores_nothing(tmp_path: Path) -> None:
    created = initialised_organisation(tmp_path, slug="live", coordinator="lena", password="lena-correct-horse")
    with running_server(created.data_dir) as server:
        cookies, body = _form(server.port)
        answer = _send(server.port, cookies, body, body.index(b"IDAT") + 200)
        assert _stored(created.data_dir) == 0
        assert b"Only part of the form arrived" in answer or not answer
        cookies, body = _form(server.port)
        answer = _send(server.port, cookies, body, len(body))
        assert answer.startswith(b"HTTP/1.1 200") and b"receipt__group" in answer
        assert _stored(created.data_dir) == 1
