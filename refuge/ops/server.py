"""Run Refuge under a WSGI server, configured for privacy: no access log (it would hold IPs).

Two servers can run it (docs/architecture.md, "The web server", says which is the default
and why): granian (Rust, hyper and tokio; its workers run Django in a pool of threads) and
gunicorn (Python, gthread workers). Both keep one scheduler process beside the workers.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.wsgi import get_wsgi_application

from refuge.scheduler.loop import Keeper

SERVERS = ("granian", "gunicorn")
# Request head limits (docs/limits.md), as gunicorn enforces them: a request line of 4094
# bytes, 60 header fields of 8190 bytes at most. granian bounds the whole head by one buffer
# (hyper's max_buf_size) and checks the rest in `_refused_head`.
MAX_REQUEST_LINE = 4094
MAX_HEADER_FIELDS = 60
MAX_HEADER_FIELD_BYTES = 8190
MAX_HEAD_BYTES = MAX_REQUEST_LINE + MAX_HEADER_FIELDS * MAX_HEADER_FIELD_BYTES
# A worker whose memory grew past this is replaced (granian samples it every 30 s); gunicorn
# replaces a worker after max_requests instead. An upload's decode peaks near 400 MiB
# (docs/limits.md), so a worker past 600 MiB holds memory it no longer uses.
MAX_WORKER_MIB = 600


def serve(host: str, port: int, workers: int, threads: int, *, scheduler: bool = True, server: str = "granian") -> None:
    """Serve until interrupted (with one scheduler process beside the workers, refuge/scheduler/loop.py)."""
    if server == "granian":
        _serve_granian(host, port, workers, threads, scheduler)
    elif server == "gunicorn":
        _serve_gunicorn(host, port, workers, threads, scheduler)
    else:
        raise ValueError(f"unknown server {server!r}: one of {', '.join(SERVERS)}")


# --- granian -------------------------------------------------------------------------------------


def wsgi_application() -> Any:
    """The WSGI application granian's workers run (`factory=True`: called once per worker).

    It answers with an empty Server header, where granian would name itself. granian copies
    the whole process environment into every request's WSGI environ (as CGI did);
    `DATABASE_URL` may hold a password, and nothing of the server's environment belongs in
    `request.META`. The keys are taken out before Django sees the request.
    """
    application = get_wsgi_application()
    server_environment = dict(os.environ)

    def without_server_environment(request_environ: dict[str, Any], start_response: Any) -> Any:
        # A value the request itself set (a header, the path) differs from the process's, or is
        # harmlessly the same; HTTP_PROXY from the process never poses as a request header.
        for name, value in server_environment.items():
            if request_environ.get(name) == value:
                del request_environ[name]

        def start_without_server_name(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # granian names itself (`server: granian`) unless the response has a Server header:
            # an empty one says nothing (naming the server software helps nobody but an attacker).
            return start_response(status, [*headers, ("Server", "")], exc_info)

        refused = _refused_head(request_environ)
        if refused is not None:
            start_without_server_name(refused, [("Content-Type", "text/plain"), ("Connection", "close")])
            return [refused.encode()]
        return application(request_environ, start_without_server_name)

    return without_server_environment


def _refused_head(request_environ: dict[str, Any]) -> str | None:
    """The status refusing a request whose line or headers pass the limits gunicorn enforced, else None.

    granian bounds the whole head (MAX_HEAD_BYTES) and the number of fields (100, hyper's); the
    limits docs/limits.md promises are checked here, before any Refuge code runs, as before.
    """
    line = (
        len(request_environ.get("REQUEST_METHOD", ""))
        + len(request_environ.get("PATH_INFO", ""))
        + len(request_environ.get("QUERY_STRING", ""))
    )
    if line > MAX_REQUEST_LINE:
        return "414 URI Too Long"
    fields = [value for name, value in request_environ.items() if name.startswith("HTTP_")]
    fields += [request_environ[name] for name in ("CONTENT_TYPE", "CONTENT_LENGTH") if name in request_environ]
    if len(fields) > MAX_HEADER_FIELDS or any(len(value) > MAX_HEADER_FIELD_BYTES for value in fields):
        return "431 Request Header Fields Too Large"
    return None


def _serve_granian(host: str, port: int, workers: int, threads: int, scheduler: bool) -> None:
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings
    from granian.log import LogLevels
    from granian.server import Server

    server = Server(
        "refuge.ops.server:wsgi_application",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        # Django runs in this many threads per worker; one Rust thread does the HTTP.
        blocking_threads=threads,
        runtime_threads=1,
        http=HTTPModes.http1,
        websockets=False,
        http1_settings=HTTP1Settings(header_read_timeout=30_000, keep_alive=True, max_buffer_size=MAX_HEAD_BYTES),
        # No access log: requesters' addresses and paths must not be written down.
        log_access=False,
        log_level=LogLevels.warning,
        respawn_failed_workers=True,
        workers_max_rss=MAX_WORKER_MIB,
        workers_kill_timeout=10,
    )
    if scheduler:
        # Scheduled jobs: one process next to granian's main process, started and stopped with it.
        keeper = Keeper()
        server.on_startup(keeper.start)
        server.on_shutdown(keeper.stop)
    server.serve()


# --- gunicorn ------------------------------------------------------------------------------------


def _without_server_header(default_headers: Any) -> Any:
    def headers(self: Any) -> list[str]:
        return [line for line in default_headers(self) if not line.lower().startswith("server:")]

    return headers


def _serve_gunicorn(host: str, port: int, workers: int, threads: int, scheduler: bool) -> None:
    import gunicorn.http.wsgi
    from gunicorn.app.base import BaseApplication

    # gunicorn has no setting for its `Server: gunicorn` header and writes it after the
    # application has run; naming the server software helps nobody but an attacker.
    gunicorn.http.wsgi.Response.default_headers = _without_server_header(gunicorn.http.wsgi.Response.default_headers)

    class RefugeServer(BaseApplication):  # type: ignore[misc]
        def __init__(self, options: dict[str, Any]) -> None:
            self.options = options
            super().__init__()

        def load_config(self) -> None:
            for key, value in self.options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # What refuge/wsgi.py gives other servers, for the settings `refuge serve` runs with.
            return get_wsgi_application()

    # Scheduled jobs: one process next to gunicorn's master, started and stopped by its hooks.
    hooks = Keeper().hooks() if scheduler else {}
    RefugeServer(
        {
            **hooks,
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            # No access log: requesters' addresses and paths must not be written down.
            "accesslog": None,
            "errorlog": "-",
            "loglevel": "warning",
            "timeout": 60,
            "graceful_timeout": 10,
            # A worker is replaced after this many requests, so memory it may have gathered is
            # returned. Booting one costs about a second of CPU: at the portal's designed
            # 250 submissions/s (500 requests/s) 5,000 meant a worker restarting every 10 s
            # somewhere in the server; 20,000 means one every 40 s.
            "max_requests": 20000,
            "max_requests_jitter": 2000,
            "limit_request_line": MAX_REQUEST_LINE,
            "limit_request_fields": MAX_HEADER_FIELDS,
            "limit_request_field_size": MAX_HEADER_FIELD_BYTES,
            # No control socket in $HOME: nothing outside the data directory.
            "control_socket_disable": True,
        }
    ).run()
