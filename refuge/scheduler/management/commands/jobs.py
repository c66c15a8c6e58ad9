from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from refuge.core.jobs import registered
from refuge.scheduler.models import ScheduledJob


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else "never"


class Command(BaseCommand):
    help = "List the scheduled jobs: interval, last run, last result, next run and who runs one now."

    def handle(self, *args: Any, **options: Any) -> None:
        rows = {row.name: row for row in ScheduledJob.objects.all()}
        now = timezone.now()
        for job in registered():
            row = rows.get(job.name)
            self.stdout.write(f"{job.name}  (every {job.interval():g} s)")
            if row is None:
                self.stdout.write("  not run yet: due at the next tick")
                continue
            outcome = {True: "ok", False: "FAILED", None: ""}[row.last_succeeded]
            self.stdout.write(f"  last run:    {_when(row.last_started_at)}  {outcome} {row.last_result}".rstrip())
            self.stdout.write(f"  next run:    {_when(row.next_run_at)}")
            if row.leased_until and row.leased_until > now:
                self.stdout.write(f"  running now: {row.leased_by} (lease until {_when(row.leased_until)})")
            self.stdout.write(f"  runs:        {row.runs}")
