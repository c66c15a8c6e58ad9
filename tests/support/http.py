"""A tiny HTTP client for tests that talk to a real server process over loopback.

It keeps cookies itself because the standard cookie jar never sends `Secure`
(`__Host-`) cookies over plain http, which is what a loopback test server speaks.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse
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
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        all_headers = {"Host": f"{self.host}:{self.port}", **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            all_headers["Referer"] = f"http://{self.host}:{self.port}{path}"
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
