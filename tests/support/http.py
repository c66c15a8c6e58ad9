"""A tiny HTTP client for tests that talk to a real server process over loopback.

It keeps cookies itself because the standard cookie jar never sends `Secure`
(`__Host-`) cookies over plain http, which is what a loopback test server speaks.
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
import urllib.parse
import uuid
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # one value per name, lower-cased: the last one sent
    body: bytes
    set_cookies: list[str] = field(default_factory=list)  # every Set-Cookie header, as sent

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def csrf_token(self) -> str:
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.text)
        if match is None:
            raise AssertionError("no CSRF token in the page")
        return match.group(1)


@dataclass
class LoopbackClient:
    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30.0

    def request(
        self, method: str, path: str, data: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        all_headers = dict(headers or {})
        if data is None:
            return self.raw(method, path, None, all_headers)
        all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.raw(method, path, urllib.parse.urlencode(data).encode(), all_headers)

    def post_multipart(
        self, path: str, fields: dict[str, str | list[str]], files: list[tuple[str, str, bytes]]
    ) -> Response:
        """POST a multipart form (fields, and files as (field, file name, content)) as a browser would."""
        boundary = "----refuge-test-" + uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            for item in value if isinstance(value, list) else [value]:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                    + item.encode()
                    + b"\r\n"
                )
        for name, filename, content in files:
            head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
            parts.append(head.encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.raw("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})

    def raw(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Response:
        """Send a prepared body (e.g. multipart) with this client's cookies."""
        all_headers = {**self._browser_headers(path), **headers}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            payload = raw.read()
            cookies = [value for name, value in raw.getheaders() if name.lower() == "set-cookie"]
            for value in cookies:
                self._keep_cookie(value)
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload, cookies)
        finally:
            connection.close()

    def _browser_headers(self, path: str) -> dict[str, str]:
        return {"Host": f"{self.host}:{self.port}", "Referer": f"http://{self.host}:{self.port}{path}"}

    def _connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, data: dict[str, str]) -> Response:
        """GET the page for its CSRF token, then POST the form as a browser would."""
        token = self.get(path).csrf_token()
        return self.request("POST", path, {"csrfmiddlewaretoken": token, **data})

    def _keep_cookie(self, header: str) -> None:
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        expired = "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower()
        if expired or value in {"", '""'}:
            self.cookies.pop(name.strip(), None)
        else:
            self.cookies[name.strip()] = value


@dataclass
class TlsClient(LoopbackClient):
    """HTTPS to a proxy on loopback under a host name, as a browser whose DNS points the name there.

    The name is sent in TLS (SNI) and in `Host`, and the proxy's certificate is checked against
    `cafile` for it. Forms are sent as Tor Browser and Chromium send them under Refuge's
    `Referrer-Policy: no-referrer`: no Referer, `Origin: null` and `Sec-Fetch-Site: same-origin`
    (refuge/core/csrf.py).
    """

    name: str = ""
    cafile: str = ""

    def _browser_headers(self, path: str) -> dict[str, str]:
        return {"Host": f"{self.name}:{self.port}", "Origin": "null", "Sec-Fetch-Site": "same-origin"}

    def _connection(self) -> http.client.HTTPConnection:
        context = ssl.create_default_context(cafile=self.cafile)
        return _HttpsTo(self.host, self.name, self.port, context=context, timeout=self.timeout)


class _HttpsTo(http.client.HTTPSConnection):
    """An HTTPS connection to `address` that asks for and checks `name`'s certificate."""

    def __init__(self, address: str, name: str, port: int, **kwargs: object) -> None:
        super().__init__(name, port, **kwargs)  # type: ignore[arg-type]
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]
