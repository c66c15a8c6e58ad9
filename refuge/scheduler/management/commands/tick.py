from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from refuge.scheduler.runner import run_due


class Command(BaseCommand):
    help = "Run the scheduled jobs that are due, once, and exit (for a cron job or a systemd timer)."

    def handle(self, *args: Any, **options: Any) -> None:
        outcomes = run_due()
        for outcome in outcomes:
            self.stdout.write(f"{outcome.name}: {outcome.result}")
        if not outcomes:
            self.stdout.write("No job was due.")
        if any(not outcome.succeeded for outcome in outcomes):
            raise SystemExit(1)
