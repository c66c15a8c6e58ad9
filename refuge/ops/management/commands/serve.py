from __future__ import annotations

from typing import Any

from django.core.checks import Tags
from django.core.checks.registry import registry
from django.core.management.base import BaseCommand, CommandParser
from django.urls import get_resolver

from refuge.core.checks import MIGRATIONS_TAG
from refuge.core.env import env_bool, env_int, env_str
from refuge.ops.db_maintenance import refresh_planner_statistics
from refuge.ops.server import SERVERS, serve


class Command(BaseCommand):
    help = "Run the web server (granian, or gunicorn) on REFUGE_HOST:REFUGE_PORT (default 127.0.0.1:8000)."
    # Run in `handle`, without the URL patterns' checks: walking the patterns imports every included
    # URLconf into this process, which the server's workers are forked from, and the JSON API's is
    # imported by its first request instead (refuge/core/lazy_urls.py: 11 MiB a worker).
    # `refuge check`, `make check` and the tests check the URL patterns.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=env_str("REFUGE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=env_int("REFUGE_PORT", 8000, minimum=1, maximum=65535))
        parser.add_argument("--workers", type=int, default=env_int("REFUGE_WORKERS", 2, minimum=1, maximum=64))
        parser.add_argument("--threads", type=int, default=env_int("REFUGE_THREADS", 4, minimum=1, maximum=64))
        parser.add_argument("--server", choices=SERVERS, default=env_str("REFUGE_SERVER", "granian"))
        # Scheduled jobs (refuge/scheduler/): off where a cron job or systemd timer runs `refuge tick` instead.
        parser.add_argument(
            "--no-scheduler", dest="scheduler", action="store_false", default=env_bool("REFUGE_SCHEDULER", True)
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.check(tags=sorted(registry.tags_available() - {Tags.urls}))
        # Never serve a schema this release's code does not match (refuge.E011, docs/operations.md "Upgrades").
        self.check(tags=[MIGRATIONS_TAG], include_deployment_checks=True, databases=["default"])
        # Before the workers start: the planner's statistics (docs/operations.md).
        refresh_planner_statistics()
        warm_url_patterns()
        self.stdout.write(f"Refuge is serving on http://{options['host']}:{options['port']}/  (Ctrl-C stops it)")
        self.stdout.flush()
        serve(
            options["host"],
            options["port"],
            options["workers"],
            options["threads"],
            scheduler=options["scheduler"],
            server=options["server"],
        )


def warm_url_patterns() -> None:
    """Load the URL patterns, and the views they import, once in the process the workers fork from.

    Otherwise every worker's first request pays for it (about 60 ms: bench/login.py's "first page
    after the server started"), as it did once the URL checks stopped running here. The JSON API's
    patterns stay out: the lazy include is not walked to fill the reverse table.
    """
    get_resolver().reverse_dict  # noqa: B018 (filled on first access)
