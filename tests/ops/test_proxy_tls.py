"""nginx terminating TLS in front of `refuge serve`, the portal and the staff workspace on host names of
their own (issue #15, item 4; docs/operations.md, "Several app servers" steps 4 and 5, and "Portal and
staff on separate host names").

What the guide tells an operator, done by the test: a certificate for both names (a throwaway
one made with the guide's `openssl req` command, which the test's clients trust as a browser
trusts Let's Encrypt's); `REFUGE_HTTPS=1`, `REFUGE_ALLOWED_HOSTS`, `REFUGE_PORTAL_HOSTS` and
`REFUGE_STAFF_HOSTS` on the app server, which `refuge check --deploy` accepts; the site file of
`refuge nginx-config … --certificate … --certificate-key …` (loopback ports instead of 443 and
80, `--redirect-listen`). The app server runs on the layer's database. Through TLS only, each
name sent in the handshake and checked against the certificate:

- the portal's host serves the request form and takes a request; its staff login is the
  missing page, and so is the portal on the staff host;
- a coordinator logs in on the staff host and reaches the workspace;
- every answer carries HSTS (two years, subdomains, preload); every cookie is `Secure` and
  `HttpOnly`, Refuge's session and CSRF cookies `__Host-` (no Domain);
- `X-Forwarded-Proto` is the proxy's alone: sent as `http` by a client over TLS it changes
  nothing (nginx overwrites it); plain HTTP to nginx, even with `X-Forwarded-Proto: https`, is
  answered by nginx itself with a redirect to HTTPS and reaches no app server; the app server
  asked directly in plain HTTP (without the proxy's header) only redirects to HTTPS.
"""

from __future__ import annotations

import random
import re
from contextlib import ExitStack
from pathlib import Path

import pyotp
import pytest

from tests.support.http import LoopbackClient, Response, TlsClient
from tests.support.nginx import running_nginx
from tests.support.portal_http import receipt_of, submit
from tests.support.server import create_organisation, run_refuge, running_server

pytestmark = pytest.mark.slow

ORG = "north"
PASSWORD = "a long proxy password 15"
PORTAL, STAFF = "help.refuge.test", "staff.refuge.test"
HSTS = "max-age=63072000; includeSubDomains; preload"
NOT_FOUND = "There is nothing here, or you do not have access to it."


def _unprotected_cookies(*responses: Response) -> list[str]:
    """Every cookie set in these answers that lacks Secure or HttpOnly."""
    cookies = [cookie for response in responses for cookie in response.set_cookies]
    assert cookies, "no cookie was set"
    return [c for c in cookies if not all(flag in c.lower() for flag in ("; secure", "; httponly"))]


@pytest.mark.timeout(600)
def test_nginx_serves_the_portal_and_the_workspace_over_tls_on_host_names_of_their_own(
    tmp_path: Path, new_database: dict[str, str]
) -> None:
    data_dir = tmp_path / "app" / "var"
    env = new_database | {
        "REFUGE_HTTPS": "1",
        "REFUGE_ALLOWED_HOSTS": f"{PORTAL},{STAFF}",
        "REFUGE_PORTAL_HOSTS": PORTAL,
        "REFUGE_STAFF_HOSTS": STAFF,
    }
    run_refuge(data_dir, "init", **env)
    created = create_organisation(data_dir, slug=ORG, coordinator="alice", password=PASSWORD, **env)
    checked = run_refuge(data_dir, "check", "--deploy", **env)
    assert "refuge." not in checked.stdout + checked.stderr, checked.stdout + checked.stderr
    with ExitStack() as stack:
        server = stack.enter_context(running_server(data_dir, **env))
        nginx = stack.enter_context(running_nginx(data_dir, [server.port], server_names=[PORTAL, STAFF], tls=True))
        assert nginx.certificate is not None and nginx.http_port is not None
        portal = TlsClient("127.0.0.1", nginx.port, name=PORTAL, cafile=str(nginx.certificate))
        staff = TlsClient("127.0.0.1", nginx.port, name=STAFF, cafile=str(nginx.certificate))

        # The portal's host: the form and a request sent; no staff login there.
        landing = portal.get(f"/r/{ORG}/")
        form, answer, _fields = submit(portal, ORG, random.Random(15), "tls")
        assert landing.status == 200 and receipt_of(answer)
        staff_login_on_portal = portal.get("/login/")
        assert staff_login_on_portal.status == 404 and NOT_FOUND in staff_login_on_portal.text
        assert "password" not in staff_login_on_portal.text and portal.get("/").status == 404

        # The staff host: no portal there; the login and the workspace.
        assert staff.get(f"/r/{ORG}/").status == 404 and staff.get(f"/r/{ORG}/ask/").status == 404
        login = staff.get("/login/")
        fields = {
            "csrfmiddlewaretoken": login.csrf_token(),
            "organisation": ORG,
            "username": "alice",
            "password": PASSWORD,
            "code": pyotp.TOTP(created.totp_secret).now(),
        }
        logged_in = staff.request("POST", "/login/", fields)
        assert logged_in.status == 302, logged_in.text[-2000:]
        home = staff.get("/")
        assert home.status == 200 and 'action="/logout/"' in home.text

        # HSTS on every answer; every cookie Secure and HttpOnly.
        answers = [landing, form, answer, login, logged_in, home]
        assert [r.headers.get("strict-transport-security") for r in answers] == [HSTS] * len(answers)
        assert _unprotected_cookies(*answers) == []
        # Refuge's own cookies are bound to the exact host (__Host-: Secure, Path=/, no Domain).
        names = {c.split("=", 1)[0] for r in answers for c in r.set_cookies}
        assert {"__Host-refuge-session", "__Host-refuge-csrf"} <= names, names
        assert all("domain=" not in c.lower() for r in answers for c in r.set_cookies)

        # X-Forwarded-Proto is the proxy's: a client's "http" over TLS is overwritten (no redirect).
        spoofed = staff.request("GET", "/", headers={"X-Forwarded-Proto": "http"})
        assert spoofed.status == 200 and spoofed.headers.get("strict-transport-security") == HSTS
        # Plain HTTP to nginx: its own redirect to HTTPS, whatever the client claims; no app server asked.
        for claimed in ({}, {"X-Forwarded-Proto": "https"}):
            plain = LoopbackClient("127.0.0.1", nginx.http_port).request(
                "GET", "/login/", headers={"Host": STAFF, **claimed}
            )
            assert plain.status == 301 and plain.headers["location"] == f"https://{STAFF}:{nginx.port}/login/"
            assert "x-refuge-upstream" not in plain.headers and not plain.set_cookies
        # The app server itself, in plain HTTP without the proxy's header, serves nothing but the way to HTTPS.
        direct = LoopbackClient("127.0.0.1", server.port).request("GET", "/login/", headers={"Host": STAFF})
        assert direct.status == 301 and direct.headers["location"] == f"https://{STAFF}/login/"
        assert not re.search(r"csrfmiddlewaretoken|password", direct.text)
