"""The scheduled job that watches check-ins (run by refuge/scheduler/, once across every process).

Exactly one alarm per missed check-in: the schedule row is marked missed by a conditional
UPDATE (only if it is still active, still owes the same check-in and is not yet marked) in
the transaction that raises the alarm. Two runners that both read the same miss cannot both
mark it: on SQLite the write transactions are serialised (BEGIN IMMEDIATE), on PostgreSQL
the second UPDATE waits for the first's row lock and then finds the row no longer matches.
A runner killed before its commit leaves nothing, and the next run raises the alarm; after
its commit, the mark stays. The unique constraint `one_alarm_per_miss` backs this up.
"""

from __future__ import annotations

from django.db import transaction

from refuge.core.jobs import register
from refuge.safety import clock
from refuge.safety.actions.alarms import raise_alarm
from refuge.safety.models import AlarmKind, CheckInSchedule

# Every minute: a miss reaches the team within a minute of its grace ending, and the mail notice
# one notice interval later. Not faster: a job under a minute would keep its times to the second
# (runner.py `_grid`), and a run that happens to fall in the second of a requester's check-in
# would date it more precisely than the hour in a seized database (tests/seizure/test_seizure_times.py).
EVERY_SECONDS = 60
MAX_PER_RUN = 500


@register("check-in-alarms", every=EVERY_SECONDS, lease=120)
def raise_missed_check_in_alarms() -> str:
    """Raise an alarm for every check-in missed past its grace period; idempotent."""
    now = clock.now()
    missed = list(
        CheckInSchedule.objects.filter(active=True, missed_at__isnull=True, alarm_at__lte=now)
        .order_by("alarm_at")
        .values_list("pk", "alarm_at", "next_due_at", "case_id", "request_id", "organisation_id")[:MAX_PER_RUN]
    )
    raised = 0
    for pk, alarm_at, due_at, case_id, request_id, organisation_id in missed:
        with transaction.atomic():
            marked = CheckInSchedule.objects.filter(
                pk=pk, active=True, missed_at__isnull=True, alarm_at=alarm_at
            ).update(missed_at=now)
            if marked:
                schedule = CheckInSchedule(pk=pk)
                raise_alarm(
                    request_id=request_id,
                    case_id=case_id,
                    organisation_id=organisation_id,
                    kind=AlarmKind.MISSED,
                    schedule=schedule,
                    due_at=due_at,
                )
                raised += 1
    return f"{raised} alarms raised"
