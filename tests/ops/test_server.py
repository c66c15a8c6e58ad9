"""The WSGI application granian runs (refuge/ops/server.py): what it keeps from Django and from the client."""

from __future__ import annotations

import os
from typing import Any

import pytest

from refuge.ops import server

SEEN: list[dict[str, Any]] = []


def _django(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    SEEN.append(dict(environ))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.fixture
def application(monkeypatch: pytest.MonkeyPatch) -> Any:
    SEEN.clear()
    # A secret in the server's environment, as DATABASE_URL may hold one.
    monkeypatch.setenv("REFUGE_TEST_DATABASE_PASSWORD", "hunter2")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setattr(server, "get_wsgi_application", lambda: _django)
    return server.wsgi_application()


def _environ(**extra: Any) -> dict[str, Any]:
    # As granian builds it: the process environment first, the request over it.
    return {
        **os.environ,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/r/status/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        **extra,
    }


def _call(application: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer["status"], answer["headers"] = status, headers

    body = b"".join(application(environ, start_response))
    return answer["status"], answer["headers"], body


def test_the_server_environment_never_reaches_django(application: Any) -> None:
    status, _headers, _body = _call(application, _environ(HTTP_USER_AGENT="Tor Browser"))
    assert status == "200 OK"
    [environ] = SEEN
    assert "REFUGE_TEST_DATABASE_PASSWORD" not in environ
    assert "HTTP_PROXY" not in environ  # not taken for a `Proxy:` header the client never sent
    assert environ["HTTP_USER_AGENT"] == "Tor Browser" and environ["PATH_INFO"] == "/r/status/"


def test_a_header_the_client_sent_is_kept(application: Any) -> None:
    _call(application, _environ(HTTP_PROXY="sent by the client"))
    assert SEEN[0]["HTTP_PROXY"] == "sent by the client"


def test_the_answer_does_not_name_the_server(application: Any) -> None:
    _status, headers, _body = _call(application, _environ())
    assert [value for name, value in headers if name.lower() == "server"] == [""]


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"QUERY_STRING": "q=" + "a" * 4100}, "414 URI Too Long"),
        ({f"HTTP_X_FIELD_{n}": "v" for n in range(60)}, "431 Request Header Fields Too Large"),
        ({"HTTP_COOKIE": "c" * 8191}, "431 Request Header Fields Too Large"),
    ],
)
def test_a_head_past_the_limits_is_refused_before_django(application: Any, extra: dict[str, str], status: str) -> None:
    answered, _headers, body = _call(application, _environ(**extra))
    assert answered == status and body == status.encode()
    assert SEEN == []


def test_a_head_at_the_limits_is_served(application: Any) -> None:
    fields = {f"HTTP_X_FIELD_{n}": "v" for n in range(58)}  # with Host: 59 fields
    status, _headers, _body = _call(
        application, _environ(QUERY_STRING="q=" + "a" * 4000, HTTP_COOKIE="c" * 8190, **fields)
    )
    assert status == "200 OK"
