"""Run due jobs, each exactly once across every process that shares the database.

How one runner, and only one, gets a due job (`_claim`): in one transaction, a
conditional UPDATE sets the lease only if the job is due and nobody holds an unexpired
lease. On SQLite the transaction is BEGIN IMMEDIATE (refuge/settings.py), so claims
are serialised by the database's write lock; on PostgreSQL a SELECT … FOR UPDATE SKIP
LOCKED first lets a runner pass over a row another runner is claiming instead of
waiting for it, and the conditional UPDATE decides in both cases. The job then runs
outside any transaction; finishing clears the lease only if this runner still holds it
(`leased_by` carries a token per claim), so a runner whose lease ran out cannot
overwrite the run that replaced it.

A runner killed mid-job (kill -9, power loss) leaves its lease; once `leased_until`
passes, the job is due again and the next runner runs it again — which is why jobs
must be idempotent (refuge/core/jobs.py). Server clocks must agree (NTP): leases are
compared with each server's own clock.
"""

from __future__ import annotations

import logging
import math
import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from refuge.core.jobs import Job, registered
from refuge.scheduler.models import ScheduledJob

log = logging.getLogger(__name__)

RESULT_LENGTH = 200


@dataclass(frozen=True)
class Outcome:
    """One run of a job by this runner."""

    name: str
    succeeded: bool
    result: str


def runner_name() -> str:
    """Who runs: host and process id, shown by `refuge jobs` while a job runs."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


def ensure_rows(jobs: Iterable[Job]) -> None:
    """Give each job a row; a new job is due at once."""
    wanted = {job.name for job in jobs}
    missing = wanted - set(ScheduledJob.objects.filter(name__in=wanted).values_list("name", flat=True))
    if missing:
        now = _floor(timezone.now(), 1.0)
        # Two runners starting together may both insert: the second insert is ignored.
        ScheduledJob.objects.bulk_create(
            [ScheduledJob(name=name, next_run_at=now) for name in sorted(missing)], ignore_conflicts=True
        )


def run_due(jobs: Iterable[Job] | None = None, *, runner: str | None = None) -> list[Outcome]:
    """Run every due job that no other runner holds; return what ran here."""
    jobs = list(registered() if jobs is None else jobs)
    ensure_rows(jobs)
    outcomes = []
    for job in jobs:
        token = _claim(job, runner or runner_name())
        if token is not None:
            outcomes.append(_run(job, token))
    return outcomes


def _grid(seconds: float) -> float:
    """The step a job's stored times are rounded to: whole minutes (whole seconds for what is
    shorter than a minute), so its row shows its schedule, never the moment something else
    happened. A job can run right after a requester's act (a notice owed): stored to the second,
    its time would date that act more precisely than the hour (docs/threat-model.md)."""
    return 60.0 if seconds >= 60 else 1.0


def _floor(moment: datetime, step: float) -> datetime:
    return datetime.fromtimestamp(math.floor(moment.timestamp() / step) * step, tz=UTC)


def _ceil(moment: datetime, step: float) -> datetime:
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / step) * step, tz=UTC)


def _due_and_free(name: str, now: datetime) -> Q:
    return Q(name=name, next_run_at__lte=now) & (Q(leased_until__isnull=True) | Q(leased_until__lte=now))


def _claim(job: Job, runner: str) -> str | None:
    token = f"{runner}:{secrets.token_hex(4)}"
    now = timezone.now()
    with transaction.atomic():
        # PostgreSQL: skip a row another runner has locked. SQLite has no row locks and
        # Django leaves the clause out; BEGIN IMMEDIATE has serialised us already.
        rows = ScheduledJob.objects.select_for_update(skip_locked=True).filter(_due_and_free(job.name, now))
        if not rows.values_list("name", flat=True)[:1]:
            return None
        taken = ScheduledJob.objects.filter(_due_and_free(job.name, now)).update(
            # At least the lease, ending on its grid; started "in this minute".
            leased_until=_ceil(now + timedelta(seconds=job.lease), _grid(job.lease)),
            leased_by=token,
            last_started_at=_floor(now, _grid(job.interval())),
        )
    return token if taken == 1 else None


def _run(job: Job, token: str) -> Outcome:
    try:
        result, succeeded = str(job.function()), True
    # A job's failure must not stop the others nor the loop; what failed is recorded
    # by type only, because an error's message can quote data.
    except Exception as error:  # noqa: BLE001
        result, succeeded = f"failed: {type(error).__name__}", False
        log.warning("job %s failed: %s", job.name, type(error).__name__)
    _finish(job, token, result[:RESULT_LENGTH], succeeded)
    return Outcome(name=job.name, succeeded=succeeded, result=result)


def _finish(job: Job, token: str, result: str, succeeded: bool) -> None:
    # Rounded up to the job's grid, and the next run a whole interval after that: the row keeps
    # the schedule, not the moment the run ended.
    finished = _ceil(timezone.now(), _grid(job.interval()))
    with transaction.atomic():
        updated = ScheduledJob.objects.filter(name=job.name, leased_by=token).update(
            leased_until=None,
            leased_by="",
            last_finished_at=finished,
            last_result=result,
            last_succeeded=succeeded,
            next_run_at=finished + timedelta(seconds=job.interval()),
            runs=F("runs") + 1,
        )
    if not updated:
        log.warning("job %s ran past its lease; another runner has taken it", job.name)


def seconds_to_next_due(jobs: Iterable[Job] | None = None) -> float | None:
    """Seconds until the earliest job is due (or its lease ends); None with no job."""
    names = [job.name for job in (registered() if jobs is None else jobs)]
    if not names:
        return None
    rows = list(ScheduledJob.objects.filter(name__in=names).values_list("next_run_at", "leased_until"))
    if len(rows) < len(names):
        return 0.0
    now = timezone.now()
    waits = [max(next_run_at, leased_until or next_run_at) - now for next_run_at, leased_until in rows]
    return max(0.0, min(wait.total_seconds() for wait in waits))
