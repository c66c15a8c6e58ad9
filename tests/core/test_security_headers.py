"""The security baseline every response carries, and error pages that give nothing away."""

from __future__ import annotations

import base64
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, override_settings

from refuge.core.middleware import CONTENT_SECURITY_POLICY
from tests.core.error_urls import SECRET_IN_THE_CRASH

REPO = Path(__file__).resolve().parents[2]
# What a stack trace or a debug page would show.
LEAKS = re.compile(
    r"Traceback|File \"/|site-packages|RuntimeError|SECRET_KEY|DATABASES|Django Version|CsrfViewMiddleware"
)

pytestmark = pytest.mark.django_db


def assert_security_headers(response: HttpResponse) -> None:
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Server" not in response
    assert "X-Powered-By" not in response


@pytest.fixture
def static_file(tmp_path: Path) -> str:
    (tmp_path / "probe.css").write_text("body { color: black; }\n")
    with override_settings(STATICFILES_DIRS=[tmp_path]):
        yield "/static/probe.css"


def test_the_portal_stylesheet_is_kept_in_no_cache_and_staff_files_in_no_shared_one() -> None:
    portal = Client().get("/static/requester/portal.css")
    assert portal.status_code == 200
    assert b"".join(portal.streaming_content)
    # Every portal page is no-store; its stylesheet left in a seized phone's cache would
    # still show that the portal was visited (issue #16.12: it was "max-age=60, public").
    assert portal["Cache-Control"] == "no-store"
    staff = Client().get("/static/refuge/refuge.css")
    assert staff.status_code == 200
    assert b"".join(staff.streaming_content)
    assert "public" not in staff["Cache-Control"] and "private" in staff["Cache-Control"]


def test_the_content_security_policy_allows_no_other_host() -> None:
    # DESIGN.md §6: no asset from any other host (Tor users, blocked CDNs, tracking).
    for directive in CONTENT_SECURITY_POLICY.split(";"):
        name, *sources = directive.split()
        for source in sources:
            assert source in {"'self'", "'none'", "data:"}, f"{name} allows {source}"
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY


def test_the_login_page_carries_the_security_headers(client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert_security_headers(response)
    assert response["Cache-Control"] == "no-store"


def test_a_missing_page_carries_the_security_headers_and_no_details(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert_security_headers(response)
    assert not LEAKS.search(response.content.decode())


def test_a_static_file_carries_the_security_headers(static_file: str) -> None:
    response = Client().get(static_file)  # a new client: WhiteNoise indexes files when it starts
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"body { color: black; }\n"
    assert_security_headers(response)


@pytest.mark.urls("tests.core.error_urls")
def test_a_crash_shows_a_plain_500_page_without_a_stack_trace(client: Client) -> None:
    client.raise_request_exception = False
    response = client.get("/crash/")
    assert response.status_code == 500
    body = response.content.decode()
    assert SECRET_IN_THE_CRASH not in body
    assert not LEAKS.search(body)
    assert_security_headers(response)


def test_a_form_without_its_csrf_token_gets_a_plain_403_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "alice", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert not LEAKS.search(body)
    assert "CSRF token" not in body  # Django's reason strings stay in the server
    assert "alice" not in body
    assert_security_headers(response)


def production_environment(data_dir: Path) -> dict[str, str]:
    """Real-looking secrets and hosts, as an operator would set them, and nothing from the test run."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "refuge.settings",
        "REFUGE_DATA_DIR": str(data_dir),
        "REFUGE_HTTPS": "1",
        "REFUGE_ALLOWED_HOSTS": "refuge.example.org",
        "REFUGE_SECRET_KEY": secrets.token_urlsafe(50),
        "REFUGE_RECEIPT_PEPPER": secrets.token_urlsafe(48),
        "REFUGE_SERVER_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "REFUGE_AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    }


@pytest.mark.slow
def test_the_deployment_checks_pass_with_production_settings(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, Message]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback only)
            return response.status, response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.headers


@pytest.mark.slow
def test_the_production_server_names_no_server_software(tmp_path: Path) -> None:
    # gunicorn writes "Server: gunicorn" itself, after Django's middleware has run.
    port = _free_port()
    environment = production_environment(tmp_path) | {
        "REFUGE_HTTPS": "0",
        "REFUGE_ALLOWED_HOSTS": "127.0.0.1",
        "REFUGE_WORKERS": "1",
        "REFUGE_THREADS": "1",
    }
    refuge = Path(sys.executable).parent / "refuge"
    # As an operator starts it: `refuge init` first (`refuge serve` refuses a database that
    # lacks this release's migrations, refuge.E011).
    subprocess.run([str(refuge), "init"], env=environment, capture_output=True, timeout=180, check=True)
    log = tmp_path / "server.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [str(refuge), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    status, headers = _get(f"http://127.0.0.1:{port}/no-such-page/")
                    break
                except OSError:
                    assert server.poll() is None, log.read_text()
                    assert time.monotonic() < deadline, "the server did not start within 60 s"
                    time.sleep(0.2)
        finally:
            server.terminate()
            server.wait(timeout=30)
    assert status == 404
    # Absent, or at most empty: nothing that names the software to a scanner.
    assert not any(headers.get_all("Server") or []), f"Server: {headers.get_all('Server')}"
    assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
