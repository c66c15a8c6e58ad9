"""Run Refuge under gunicorn, configured for privacy: no access log (it would hold IPs)."""

from __future__ import annotations

from typing import Any

import gunicorn.http.wsgi
from django.core.wsgi import get_wsgi_application
from gunicorn.app.base import BaseApplication

from refuge.scheduler.loop import Keeper


def _without_server_header(default_headers: Any) -> Any:
    def headers(self: Any) -> list[str]:
        return [line for line in default_headers(self) if not line.lower().startswith("server:")]

    return headers


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


def serve(host: str, port: int, workers: int, threads: int, *, scheduler: bool = True) -> None:
    """Serve until interrupted (with one scheduler process beside the workers, refuge/scheduler/loop.py)."""
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
            "limit_request_line": 4094,
            "limit_request_fields": 60,
            "limit_request_field_size": 8190,
            # No control socket in $HOME: nothing outside the data directory.
            "control_socket_disable": True,
        }
    ).run()
