"""Scheduled jobs run once across threads and processes, again after a crash, and on time."""

from __future__ import annotations

import os
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from refuge.core import jobs
from refuge.core.jobs import Job, job_named, register, registered
from refuge.scheduler.loop import run_forever
from refuge.scheduler.models import ScheduledJob
from refuge.scheduler.runner import run_due, seconds_to_next_due
from tests.scheduler.helpers import start_runner

pytestmark = pytest.mark.django_db(transaction=True)


class Calls:
    """A job that counts its runs (and can take its time, or fail)."""

    def __init__(self, seconds: float = 0.0, error: Exception | None = None) -> None:
        self.count = 0
        self.seconds = seconds
        self.error = error
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.count += 1
        time.sleep(self.seconds)
        if self.error is not None:
            raise self.error
        return f"run {self.count}"


def _job(calls: Calls, name: str = "test-job", every: float = 3600, lease: float = 60) -> Job:
    return Job(name=name, function=calls, every=every, lease=lease)


def test_a_new_job_runs_at_once_and_then_after_its_interval() -> None:
    calls = Calls()
    job = _job(calls, every=3600)
    outcomes = run_due([job], runner="test")
    assert [(outcome.name, outcome.succeeded, outcome.result) for outcome in outcomes] == [("test-job", True, "run 1")]
    assert run_due([job], runner="test") == []
    row = ScheduledJob.objects.get(name="test-job")
    assert row.runs == 1
    assert row.last_succeeded is True
    assert row.last_result == "run 1"
    assert row.leased_until is None
    assert row.leased_by == ""
    assert timedelta(seconds=3590) < row.next_run_at - row.last_finished_at <= timedelta(seconds=3600)
    ScheduledJob.objects.filter(name="test-job").update(next_run_at=timezone.now())
    assert [outcome.result for outcome in run_due([job], runner="test")] == ["run 2"]


def _race(job: Job, runners: int) -> list[int]:
    """Start `runners` threads at once on the same due job; return how many runs each made."""
    barrier = threading.Barrier(runners)
    made: list[int] = []

    def runner(number: int) -> None:
        try:
            barrier.wait()
            made.append(len(run_due([job], runner=f"thread-{number}")))
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(number,)) for number in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return made


def test_runners_racing_in_threads_run_a_due_job_once() -> None:
    calls = Calls(seconds=0.3)
    made = _race(_job(calls), runners=6)
    assert sorted(made) == [0, 0, 0, 0, 0, 1]
    assert calls.count == 1
    assert ScheduledJob.objects.get(name="test-job").runs == 1


def test_runners_racing_in_processes_run_a_due_job_once(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    # The row exists and is due before the processes start, so all of them see it due.
    run_due([], runner="test")
    ScheduledJob.objects.create(name="test-append", next_run_at=timezone.now())
    go = tmp_path / "go"
    processes = [start_runner(log, sleep=0.5, lease=60, go=go) for _ in range(4)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("go.ready.*"))) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()  # all four are set up and claim at the same moment
    assert [process.wait(120) for process in processes] == [0, 0, 0, 0]
    assert len(log.read_text().splitlines()) == 1
    row = ScheduledJob.objects.get(name="test-append")
    assert (row.runs, row.last_result, row.leased_by) == (1, "done", "")


def _wait_for(path: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists(), "the runner never started the job"


def test_a_runner_killed_mid_job_leaves_it_to_run_again_once_the_lease_ends(tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    lease = 10.0
    killed = start_runner(log, sleep=600, lease=lease)
    _wait_for(log)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(30)
    row = ScheduledJob.objects.get(name="test-append")
    assert row.leased_by, "the dead runner's lease is still there"
    assert row.runs == 0

    # While the dead runner's lease lasts, nobody runs the job...
    calls = Calls()
    same_job = _job(calls, name="test-append", lease=lease)
    assert run_due([same_job], runner="test") == []
    assert calls.count == 0
    # ...and once it has ended, the next runner runs it again.
    while timezone.now() < row.leased_until:
        time.sleep(0.1)
    assert [outcome.result for outcome in run_due([same_job], runner="test")] == ["run 1"]
    row.refresh_from_db()
    assert (row.runs, row.last_succeeded, row.last_result, row.leased_by) == (1, True, "run 1", "")


def test_a_failing_job_records_only_its_error_type_and_the_next_job_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failing = Calls(error=ValueError("the address alice@north.example is wrong"))
    working = Calls()
    outcomes = run_due([_job(failing, name="test-failing"), _job(working, name="test-working")], runner="test")
    assert [(outcome.name, outcome.succeeded) for outcome in outcomes] == [
        ("test-failing", False),
        ("test-working", True),
    ]
    row = ScheduledJob.objects.get(name="test-failing")
    assert (row.last_succeeded, row.last_result) == (False, "failed: ValueError")
    assert row.next_run_at > timezone.now() + timedelta(seconds=3500)
    assert "alice" not in caplog.text
    assert "alice" not in row.last_result


def test_a_runner_past_its_lease_does_not_overwrite_the_run_that_replaced_it() -> None:
    replaced = threading.Event()

    def slow_then_replaced() -> str:
        # While this run goes on, its lease ends and another runner takes the job.
        ScheduledJob.objects.filter(name="test-job").update(leased_by="other:1:abcd", next_run_at=timezone.now())
        replaced.set()
        return "late"

    run_due([Job(name="test-job", function=slow_then_replaced, every=3600)], runner="test")
    row = ScheduledJob.objects.get(name="test-job")
    assert replaced.is_set()
    assert (row.leased_by, row.runs, row.last_result) == ("other:1:abcd", 0, "")


def test_the_loop_sleeps_until_the_next_job_is_due() -> None:
    job = _job(Calls(), every=120)
    assert seconds_to_next_due([job]) == 0.0  # no row yet: due now
    run_due([job], runner="test")
    # A whole interval after the run's end rounded up to its minute (the row keeps the schedule).
    assert 110 < (seconds_to_next_due([job]) or 0) <= 120 + 60
    assert seconds_to_next_due([]) is None


def test_the_notice_job_is_registered_with_the_notify_interval() -> None:
    notices = job_named("notices")
    assert notices is not None
    assert "notices" in [job.name for job in registered()]
    with override_settings(REFUGE_NOTIFY_MIN_INTERVAL_SECONDS=42):
        assert notices.interval() == 42


def test_a_job_name_is_registered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_registry", dict(jobs._registry))
    register("test-once", every=1)(Calls.__call__)
    register("test-once", every=1)(Calls.__call__)  # the same function again: harmless
    with pytest.raises(ValueError, match="two jobs"):
        register("test-once", every=1)(_job)
    with pytest.raises(ValueError):
        register("", every=1)


def test_tick_runs_due_jobs_and_jobs_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("tick")
    ran = capsys.readouterr().out
    assert "notices: mail is off" in ran
    call_command("tick")
    assert "No job was due." in capsys.readouterr().out
    call_command("jobs")
    listed = capsys.readouterr().out
    assert "notices  (every 300 s)" in listed
    assert "ok mail is off" in listed
    assert "next run:" in listed
    assert "runs:        1" in listed


def test_a_scheduler_whose_server_has_gone_stops() -> None:
    # `refuge serve` starts its scheduler with --parent <master pid>: if the master is
    # killed outright, the orphan stops at its next turn instead of running on unseen.
    finished = threading.Event()

    def loop() -> None:
        run_forever(threading.Event(), parent=os.getppid() + 1_000_000)
        finished.set()

    thread = threading.Thread(target=loop)
    thread.start()
    thread.join(30)
    assert finished.is_set()
