"""Debian's nginx, started by a test on loopback with the site file `refuge nginx-config` writes
(plain HTTP, or HTTPS with a throwaway certificate made by Debian's openssl).

Everything nginx writes (pid, error log, temporary bodies) stays in the test's directory;
nothing listens beyond 127.0.0.1. Run as root (CI), nginx runs as the unprivileged
`www-data` user Debian's package creates, as postgres's binaries run as `postgres`
(tests/postgres.py); the `user` directive is never needed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import free_port, run_refuge, wait_for_port

NGINX = Path("/usr/sbin/nginx")
OPENSSL = "/usr/bin/openssl"  # Debian's openssl package (.ci/run installs it)
UNPRIVILEGED_USER = "www-data"


class NginxUnavailable(RuntimeError):
    """Debian's nginx is not installed (apt-get install nginx, as .ci/run does)."""


@dataclass
class Nginx:
    process: subprocess.Popen[bytes]
    port: int  # HTTPS when started with a certificate, else plain HTTP
    root: Path
    # With a certificate: nginx's plain-HTTP port (it answers only with a redirect), and the
    # certificate, which the test's clients trust as a browser trusts Let's Encrypt's.
    http_port: int | None = None
    certificate: Path | None = None

    @property
    def error_log(self) -> str:
        path = self.root / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _main_config(root: Path, site: Path) -> str:
    """nginx.conf around the site file: only paths inside `root`, in the foreground."""
    # Every temporary path nginx would otherwise make under /var/lib/nginx (the site sets its own for bodies).
    temp = {name: root / name for name in ("http-body", "proxy", "fastcgi", "uwsgi", "scgi")}
    return f"""daemon off;
worker_processes 1;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 512; }}
http {{
    # The test's own: which app server answered (the site file has no add_header, so it inherits this).
    add_header X-Refuge-Upstream $upstream_addr always;
    client_body_temp_path {temp["http-body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""


def throwaway_certificate(directory: Path, names: Sequence[str]) -> tuple[Path, Path]:
    """A self-signed certificate for `names` and its key, made with the `openssl req` of docs/operations.md."""
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    subject_names = ",".join(f"DNS:{name}" for name in names)
    subprocess.run(
        [OPENSSL, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-days", "2", "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={subject_names}",
         "-keyout", str(key), "-out", str(certificate)],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return certificate, key


@contextmanager
def running_nginx(
    data_dir: Path,
    app_ports: list[int],
    *,
    server_names: Sequence[str] = ("127.0.0.1",),
    tls: bool = False,
    **env: str,
) -> Iterator[Nginx]:
    """nginx on a free loopback port in front of the app servers on `app_ports`.

    The site file is the output of `refuge nginx-config` (docs/operations.md), run in
    `data_dir` with `env` as an operator would run it. nginx's files go to a fresh
    directory in /tmp (pytest's own is closed to other users), deleted afterwards.
    With `tls`, nginx serves HTTPS with a throwaway certificate for `server_names`, and
    plain HTTP on a second port, where it only redirects to HTTPS.
    """
    if not NGINX.exists():
        raise NginxUnavailable(f"{NGINX} is missing: apt-get install nginx")
    root = Path(tempfile.mkdtemp(prefix="refuge-nginx-"))
    port = free_port()
    apps = [arg for app_port in app_ports for arg in ("--app", f"127.0.0.1:{app_port}")]
    names = [arg for name in server_names for arg in ("--server-name", name)]
    certificate, http_port, tls_args = None, None, []
    if tls:
        certificate, key = throwaway_certificate(root, server_names)
        http_port = free_port()
        tls_args = ["--certificate", str(certificate), "--certificate-key", str(key),
                    "--redirect-listen", f"127.0.0.1:{http_port}"]  # fmt: skip
    site_text = run_refuge(
        data_dir, "nginx-config", *apps, *names, "--listen", f"127.0.0.1:{port}", *tls_args,
        "--body-temp-path", str(root / "body"), **env,
    ).stdout  # fmt: skip
    site = root / "refuge.conf"
    site.write_text(site_text)
    config = root / "nginx.conf"
    config.write_text(_main_config(root, site))
    command = [str(NGINX), "-p", str(root), "-c", str(config), "-e", str(root / "error.log")]
    if os.geteuid() == 0:
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
        for path in [root, *root.iterdir()]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
        command = ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, f"nginx -t refused the site file:\n{checked.stderr}\n{site_text}"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    nginx = Nginx(process, port, root, http_port, certificate)
    try:
        try:
            wait_for_port(port, process)
            if http_port is not None:
                wait_for_port(http_port, process)
        except AssertionError as error:
            raise AssertionError(f"nginx did not start: {error}\n{nginx.error_log}") from None
        yield nginx
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        shutil.rmtree(root, ignore_errors=True)
