"""`refuge nginx-config`: the file docs/ ships is its output, and it writes nothing nginx would misread."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

DOC = Path(__file__).resolve().parents[2] / "docs" / "nginx" / "refuge.conf"


def _config(*args: str) -> str:
    out = io.StringIO()
    call_command("nginx_config", *args, stdout=out)
    return out.getvalue()


def test_the_shipped_file_is_what_the_command_in_it_makes() -> None:
    shipped = DOC.read_text(encoding="utf-8")
    made_by = next(line for line in shipped.splitlines() if line.startswith("# Made by: "))
    words = shlex.split(made_by.removeprefix("# Made by: "))
    assert words[:2] == ["refuge", "nginx-config"]
    assert _config(*words[2:]) == shipped, "docs/nginx/refuge.conf is stale: run the command in its second line"


def test_with_a_certificate_it_serves_https_and_sends_plain_http_there() -> None:
    text = _config(
        "--app", "10.0.0.11:8000", "--server-name", "help.example.org", "--certificate", "/etc/c.pem",
        "--certificate-key", "/etc/k.pem",
    )  # fmt: skip
    assert "listen 443 ssl;" in text and "ssl_certificate /etc/c.pem;" in text
    assert "return 301 https://$host$request_uri;" in text


def test_plain_http_elsewhere_is_sent_to_https_on_its_own_port() -> None:
    text = _config(
        "--app", "127.0.0.1:8000", "--server-name", "help.refuge.test", "--listen", "127.0.0.1:8443",
        "--certificate", "/tmp/c.pem", "--certificate-key", "/tmp/k.pem", "--redirect-listen", "127.0.0.1:8080",
    )  # fmt: skip
    assert "listen 127.0.0.1:8443 ssl;" in text and "listen 127.0.0.1:8080;" in text
    assert "return 301 https://$host:8443$request_uri;" in text
    assert "--redirect-listen 127.0.0.1:8080" in text.splitlines()[1]


def test_on_loopback_for_tor_it_has_no_tls_and_says_the_connection_is_secure() -> None:
    text = _config("--app", "127.0.0.1:8000", "--server-name", "x.onion", "--listen", "127.0.0.1:8081", "--onion")
    assert "listen 127.0.0.1:8081;" in text and "ssl" not in text and "return 301" not in text
    # Refuge with REFUGE_HTTPS=1 would otherwise send the visitor to https://x.onion.
    assert "proxy_set_header X-Forwarded-Proto https;" in text
    assert "X-Forwarded-Proto $scheme" in _config("--app", "127.0.0.1:8000", "--server-name", "a", "--listen", "8080")


def test_every_app_server_is_in_the_upstream_and_no_address_is_passed_on() -> None:
    text = _config("--app", "10.0.0.11:8000", "--app", "[fd00::2]:8000", "--server-name", "a.example.org")
    assert "server 10.0.0.11:8000 max_fails=1 fail_timeout=10s;" in text
    assert "server [fd00::2]:8000 max_fails=1 fail_timeout=10s;" in text
    assert 'proxy_set_header X-Forwarded-For "";' in text and "proxy_set_header X-Real-IP" not in text
    assert "access_log off;" in text and "proxy_request_buffering on;" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "at least one app server"),
        (("--app", "10.0.0.1:80; include /etc/shadow"), "host:port"),
        (("--app", "10.0.0.1:80"), "at least one host name"),
        (("--app", "10.0.0.1:80", "--server-name", "a b"), "not a host name"),
        (("--app", "10.0.0.1:80", "--server-name", "a", "--listen", "80 default_server"), "--listen"),
        (("--app", "10.0.0.1:80", "--server-name", "a", "--certificate", "/c.pem"), "both"),
        (("--app", "10.0.0.1:80", "--server-name", "a", "--body-temp-path", "tmp/x;"), "absolute path"),
        (("--app", "10.0.0.1:80", "--server-name", "a", "--redirect-listen", "8080"), "give a certificate"),
        (
            (
                "--app",
                "1.2.3.4:80",
                "--server-name",
                "a",
                "--certificate",
                "/c",
                "--certificate-key",
                "/k",
                "--redirect-listen",
                "80; include /etc/shadow",
            ),
            "--redirect-listen",
        ),
        (
            ("--app", "1.2.3.4:80", "--server-name", "a", "--certificate", "/c", "--certificate-key", "/k", "--onion"),
            "tor",
        ),
    ],
)
def test_a_value_nginx_would_misread_is_refused(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _config(*args)
