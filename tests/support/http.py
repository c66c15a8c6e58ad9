"""A tiny HTTP client for tests that talk to a real server process over loopback.

It keeps cookies itself because the standard cookie jar never sends `Secure`
(`__Host-`) cookies over plain http, which is what a loopback test server speaks.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
import uuid
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

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
        all_headers = {
            "Host": f"{self.host}:{self.port}",
            "Referer": f"http://{self.host}:{self.port}{path}",
            **headers,
        }
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            payload = raw.read()
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    self._keep_cookie(value)
            return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, payload)
        finally:
            connection.close()

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
