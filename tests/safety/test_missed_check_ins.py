"""The scheduler's check-in watch, on a controllable clock: exactly one alarm per miss, none for on-time check-ins."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from refuge.cases.models import Case
from refuge.core.jobs import job_named
from refuge.safety.actions.check_ins import do_check_in
from refuge.safety.jobs import raise_missed_check_in_alarms
from refuge.safety.models import Alarm, AlarmKind
from refuge.scheduler.models import ScheduledJob
from refuge.scheduler.runner import run_due
from tests.personas import World
from tests.safety.support import Clock, accepted_case, set_schedule

pytestmark = pytest.mark.django_db


def alarms(kind: str = AlarmKind.MISSED) -> int:
    return Alarm.objects.filter(kind=kind).count()


def test_an_on_time_check_in_raises_no_alarm(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester)  # every 6 hours, 30 minutes' grace: due at 14:00
    fake_clock.move(hours=5, minutes=50)
    do_check_in(access=requester.access(), message="fine")
    fake_clock.move(hours=1)  # 14:50: past the first due time and its grace
    raise_missed_check_in_alarms()
    assert alarms() == 0


def test_a_check_in_late_but_within_grace_raises_no_alarm(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester)
    fake_clock.move(hours=6, minutes=20)  # 20 minutes late, grace is 30
    raise_missed_check_in_alarms()
    do_check_in(access=requester.access(), message="")
    fake_clock.move(minutes=30)
    raise_missed_check_in_alarms()
    assert alarms() == 0


def test_a_missed_check_in_raises_one_alarm_and_marks_the_case(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester)
    fake_clock.move(hours=6, minutes=29)
    raise_missed_check_in_alarms()
    assert alarms() == 0  # a minute of grace is left
    fake_clock.move(minutes=2)
    assert raise_missed_check_in_alarms() == "1 alarms raised"
    for _ in range(3):
        fake_clock.move(hours=7)
        raise_missed_check_in_alarms()
    assert alarms() == 1  # the same miss, however long it lasts and however often the job runs
    assert Case.objects.get(pk=requester.case.pk).lost_contact_since is not None


def test_missing_twice_raises_two_alarms(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester)
    fake_clock.move(hours=7)
    raise_missed_check_in_alarms()
    do_check_in(access=requester.access(), message="back")  # due again 6 hours from now
    fake_clock.move(hours=6, minutes=31)
    raise_missed_check_in_alarms()
    raise_missed_check_in_alarms()
    assert alarms() == 2


def test_no_alarm_after_the_schedule_ends(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester, ends_at=fake_clock.at.replace(hour=17))  # due 14:00, then 20:00 is past the end
    fake_clock.move(hours=5)
    do_check_in(access=requester.access(), message="boarding")
    fake_clock.move(days=2)
    raise_missed_check_in_alarms()
    assert alarms() == 0


def test_a_restart_between_runs_raises_the_alarm_once(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester)
    fake_clock.move(hours=7)
    job = job_named("check-in-alarms")
    assert job is not None
    assert [outcome.result for outcome in run_due([job], runner="first:1")] == ["1 alarms raised"]
    # The first runner is killed while holding the job again: its lease is left behind, then
    # ends; a new process, with nothing of the first in memory, takes the job over.
    fake_clock.move(minutes=5)
    ScheduledJob.objects.filter(name="check-in-alarms").update(
        next_run_at=timezone.now(), leased_by="first:1:dead", leased_until=timezone.now() - timedelta(seconds=1)
    )
    assert [outcome.result for outcome in run_due([job], runner="second:2")] == ["0 alarms raised"]
    assert alarms() == 1


@pytest.mark.django_db(transaction=True)
def test_two_scheduler_processes_at_once_raise_one_alarm_per_miss(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    other = accepted_case(world)
    set_schedule(world, requester)
    set_schedule(world, other)
    fake_clock.move(hours=7)
    start = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        start.wait()
        try:
            # Both call the job itself, past the runner's lease: the schedule rows alone must decide.
            results.append(raise_missed_check_in_alarms())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert alarms() == 2
    assert sorted(results) in (["0 alarms raised", "2 alarms raised"], ["1 alarms raised", "1 alarms raised"])
