from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from refuge.scheduler.loop import run_forever


class Command(BaseCommand):
    help = "Run scheduled jobs as they fall due, until stopped (refuge serve starts one of these)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--parent", type=int, default=None, help="stop when this process (the server) has gone")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, frame: object) -> None:
            # A job in progress is finished first; its next run is then recorded.
            stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
        run_forever(stop, parent=options["parent"])
