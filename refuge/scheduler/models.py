"""One row per registered job: when it runs next, who holds it now, how its last run went."""

from __future__ import annotations

from django.db import models


class ScheduledJob(models.Model):
    """The state of one job (refuge/core/jobs.py), shared by every process on this database.

    A runner takes a due job by setting `leased_until` and `leased_by` in one conditional
    UPDATE (refuge/scheduler/runner.py), so exactly one runner holds it; a runner that dies
    leaves the lease to expire, and the job runs again. Holds no personal data: names,
    times, counts.
    """

    name = models.CharField(max_length=50, primary_key=True)
    next_run_at = models.DateTimeField()
    # Empty when nobody runs the job; otherwise the lease's end and "host:pid:token" of its holder.
    leased_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=120, blank=True, default="")
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    # What the job returned ("2 notices sent") or the type of the error it raised.
    last_result = models.CharField(max_length=200, blank=True, default="")
    last_succeeded = models.BooleanField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.name
