"""What `refuge serve` itself does with uploads that arrive slowly (docs/operations.md, "Slow clients").

A request is handed to a Django thread when its head has arrived; the thread then reads the
body as it comes. So slow uploads hold threads: fewer of them than the server has threads
leave the portal answering everyone else; as many as it has threads stall it until one of
them completes. That is why production runs behind a buffering reverse proxy (nginx's
default `proxy_request_buffering on`), which hands the server whole requests only. These
tests pin both halves of that statement on the real server (granian, the default).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.support.server import run_refuge, running_server

pytestmark = pytest.mark.slow

THREADS = 2
BODY = b"receipt=" + b"A" * 992  # 1,000 bytes of an ordinary form body


def _slow_upload(port: int) -> socket.socket:
    """A POST whose head and first bytes are sent, the rest held back."""
    connection = socket.create_connection(("127.0.0.1", port))
    head = (
        "POST /r/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    )
    connection.sendall(head.encode() + BODY[:10])
    return connection


def _seconds_to_answer(port: int, timeout: float) -> float | None:
    """How long the portal's landing GET takes to answer (None: not within `timeout`)."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.settimeout(timeout)
        connection.sendall(b"GET /r/status/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        try:
            first = connection.recv(64)
        except TimeoutError:
            return None
    assert first.startswith(b"HTTP/1.1 "), first
    return time.monotonic() - started


def test_slow_uploads_hold_threads_and_the_server_answers_while_one_is_free(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    run_refuge(data_dir, "init")
    with running_server(data_dir, workers=1, REFUGE_THREADS=str(THREADS), REFUGE_SCHEDULER="off") as server:
        assert _seconds_to_answer(server.port, timeout=30) is not None  # the worker is up
        held = [_slow_upload(server.port) for _ in range(THREADS - 1)]
        time.sleep(1)
        # One thread is free: the portal answers at once.
        answered = _seconds_to_answer(server.port, timeout=10)
        assert answered is not None and answered < 5

        held.append(_slow_upload(server.port))
        time.sleep(1)
        # Every thread waits for a body: nobody else is answered (hence the buffering proxy).
        assert _seconds_to_answer(server.port, timeout=3) is None

        # An upload that completes frees its thread, and the server answers again.
        held[0].sendall(BODY[10:])
        answered = _seconds_to_answer(server.port, timeout=10)
        assert answered is not None
        for connection in held:
            connection.close()
