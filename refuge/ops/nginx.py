"""The nginx site that puts Refuge's app servers behind one proxy: `refuge nginx-config` writes it.

One source for the production file and the test: docs/operations.md ("Several app servers")
shows the command, docs/nginx/refuge.conf is its output for the guide's example (checked by
tests/ops/test_nginx_config.py), and tests/ops/test_cluster.py runs Debian's nginx with the
command's output in front of three `refuge serve` processes. Why each line is there is said
next to it, in the file itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

# host:port of an app server: a name or IPv4 address, or [IPv6]; nothing nginx would read as syntax.
_APP_SERVER = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):[0-9]{1,5}$")
_SERVER_NAME = re.compile(r"^[A-Za-z0-9.-]+$")
_LISTEN = re.compile(r"^(?:(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):)?[0-9]{1,5}$")
_PATH = re.compile(r"^/[A-Za-z0-9._/-]*$")


class NginxConfigError(ValueError):
    """A value that cannot go into the file as it is."""


@dataclass(frozen=True)
class Site:
    """What differs from one installation to the next."""

    app_servers: Sequence[str]
    server_names: Sequence[str]
    # Where nginx listens: "443" (with a certificate) or an address:port, e.g. "127.0.0.1:8081" for tor.
    listen: str = "443"
    certificate: str = ""
    certificate_key: str = ""
    # With a certificate: where plain HTTP is answered with a redirect to HTTPS, nothing else.
    redirect_listen: str = "80"
    body_temp_path: str = "/var/lib/nginx/body"
    # A tor onion service's virtual host: plain HTTP to tor on loopback, end-to-end encrypted by tor.
    onion: bool = False

    def check(self) -> None:
        """Raise NginxConfigError for a value that is not what it should be."""
        if not self.app_servers:
            raise NginxConfigError("give at least one app server (--app host:port)")
        for app in self.app_servers:
            if not _APP_SERVER.match(app):
                raise NginxConfigError(f"an app server is host:port, not {app!r}")
        if not self.server_names:
            raise NginxConfigError("give at least one host name (--server-name)")
        for name in self.server_names:
            if not _SERVER_NAME.match(name):
                raise NginxConfigError(f"not a host name: {name!r}")
        if not _LISTEN.match(self.listen):
            raise NginxConfigError(f"--listen is a port or address:port, not {self.listen!r}")
        if not _LISTEN.match(self.redirect_listen):
            raise NginxConfigError(f"--redirect-listen is a port or address:port, not {self.redirect_listen!r}")
        if self.redirect_listen != Site.redirect_listen and not self.certificate:
            raise NginxConfigError("--redirect-listen is where plain HTTP is sent to HTTPS: give a certificate too")
        if bool(self.certificate) != bool(self.certificate_key):
            raise NginxConfigError("give both --certificate and --certificate-key, or neither")
        if self.onion and self.certificate:
            raise NginxConfigError("an onion service needs no certificate: tor encrypts the connection (--onion)")
        for path in (self.certificate, self.certificate_key, self.body_temp_path):
            if path and not _PATH.match(path):
                raise NginxConfigError(f"an absolute path without spaces or quotes, not {path!r}")


def render(site: Site, command: str) -> str:
    """The nginx site file for `site`; `command` is written at its top (how to make it again)."""
    site.check()
    tls = bool(site.certificate)
    upstream = "\n".join(f"    server {app} max_fails=1 fail_timeout=10s;" for app in site.app_servers)
    listen = f"    listen {site.listen} ssl;" if tls else f"    listen {site.listen};"
    certificate = (
        f"    ssl_certificate {site.certificate};\n"
        f"    ssl_certificate_key {site.certificate_key};\n"
        "    ssl_protocols TLSv1.2 TLSv1.3;\n"
        if tls
        else ""
    )
    names = " ".join(site.server_names)
    # Over tor the connection is encrypted and authenticated end to end: no redirect to https://…onion.
    forwarded_proto = "https" if site.onion else "$scheme"
    # HTTPS on a port other than 443 (a test on loopback) is named in the redirect.
    https_port = site.listen.rsplit(":", 1)[-1]
    https_host = "$host" if https_port == "443" else f"$host:{https_port}"
    redirect = (
        "\n# Plain HTTP only says where HTTPS is (Refuge would too, with REFUGE_HTTPS=1): nothing,\n"
        "# not even a header a client sends, reaches an app server over plain HTTP.\n"
        f"server {{\n    listen {site.redirect_listen};\n"
        f"    server_name {names};\n"
        f"    access_log off;\n    server_tokens off;\n    return 301 https://{https_host}$request_uri;\n}}\n"
        if tls
        else ""
    )
    return f"""# Refuge behind nginx (docs/operations.md, "Several app servers").
# Made by: {command}
# Include it in nginx's http block (Debian: /etc/nginx/sites-enabled/refuge), then `nginx -t`.

# The app servers (`refuge serve` on each). nginx sends each request to the next one in turn;
# one that refuses a connection or times out is passed over for 10 s, and the request goes
# to another. A form (POST) is sent on only if it never reached the first one: nginx never
# sends one twice, so a submission is never made twice behind the requester's back.
upstream refuge_app {{
{upstream}
}}

server {{
{listen}
    server_name {names};
{certificate}    # Refuge keeps no access log and no addresses (docs/threat-model.md); neither does its proxy.
    access_log off;
    server_tokens off;

    # Whole requests only (docs/operations.md, "Slow clients"): the app servers never wait
    # for a slow body. 5 files of 10 MiB and the form; a client silent for 30 s is dropped.
    client_max_body_size 60m;
    client_body_timeout 30s;
    client_header_timeout 30s;
    client_body_buffer_size 1m;
    # A body larger than 1 MiB waits here as sent (before Refuge strips and encrypts it):
    # keep this on the same encrypted disk as the data directory.
    client_body_temp_path {site.body_temp_path} 1 2;

    location / {{
        proxy_pass http://refuge_app;
        proxy_request_buffering on;
        proxy_set_header Host $host;
        # Refuge trusts this header only with REFUGE_HTTPS=1 (docs/configuration.md).
        proxy_set_header X-Forwarded-Proto {forwarded_proto};
        # No X-Forwarded-For, no X-Real-IP: the requester's address goes no further than here.
        proxy_set_header X-Forwarded-For "";
        proxy_connect_timeout 5s;
        proxy_read_timeout 120s;
        proxy_next_upstream error timeout;
    }}
}}
{redirect}"""


def command_line(site: Site) -> str:
    """The `refuge nginx-config` command that makes this site's file."""
    parts = ["refuge nginx-config"]
    parts += [f"--app {app}" for app in site.app_servers]
    parts += [f"--server-name {name}" for name in site.server_names]
    parts.append(f"--listen {site.listen}")
    if site.certificate:
        parts += [f"--certificate {site.certificate}", f"--certificate-key {site.certificate_key}"]
    if site.redirect_listen != Site.redirect_listen:
        parts.append(f"--redirect-listen {site.redirect_listen}")
    if site.body_temp_path != Site.body_temp_path:
        parts.append(f"--body-temp-path {site.body_temp_path}")
    if site.onion:
        parts.append("--onion")
    return " ".join(parts)
