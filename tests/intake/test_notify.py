"""Notices reach the role mailbox through a real SMTP server, once across every runner, say only counts, and never hold up a requester."""

from __future__ import annotations

import email
import email.policy
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone, translation

from refuge.accounts import notices
from refuge.accounts.actions.credentials import do_set_duress_password
from refuge.accounts.models import Organisation, PendingNotice
from refuge.core.jobs import job_named
from refuge.intake.access import access_by_receipt
from refuge.intake.actions.messages import do_requester_message
from refuge.intake.actions.submissions import Submission, do_submit_request
from refuge.scheduler.models import ScheduledJob
from refuge.scheduler.runner import run_due
from tests.personas import World
from tests.scheduler.helpers import url_of_the_test_database

pytestmark = pytest.mark.django_db(transaction=True)

MAILBOX = "intake@north.example"
SENDER = "notices@refuge.example"
ANSWERS = {
    "what_happened": "Kadyrovtsy detained my brother on Tuesday",
    "where_now": "Nazran",
    "name": "Ахмед Умаров",
    "phone": "+7 928 555-01-02",
}


@dataclass
class Received:
    to: list[str]
    sender: str
    subject: str
    body: str


@dataclass
class Mailbox:
    """What a real SMTP server on loopback received."""

    port: int
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        self.messages.append(
            Received(
                to=list(envelope.rcpt_tos),
                sender=envelope.mail_from,
                subject=str(parsed["Subject"]),
                body=body.get_content() if body is not None else "",
            )
        )
        return "250 Message accepted"

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _mail_settings(port: int, interval: float = 0, **extra: Any) -> override_settings:
    values = {
        # pytest-django swaps in the in-memory backend; these tests want the real thing.
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": port,
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_TIMEOUT": 2,
        "DEFAULT_FROM_EMAIL": SENDER,
        "REFUGE_NOTIFY_MIN_INTERVAL_SECONDS": interval,
    }
    return override_settings(**(values | extra))


def _start_smtp(port: int) -> tuple[Mailbox, Controller]:
    mailbox = Mailbox(port=port)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    return mailbox, controller


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    mailbox, controller = _start_smtp(_free_port())
    yield mailbox
    controller.stop()


@pytest.fixture
def with_mailbox(world: World) -> World:
    Organisation.objects.filter(pk=world.north.pk).update(notification_email=MAILBOX)
    return world


def _submit(world: World, answers: dict[str, str] | None = None) -> Submission:
    return do_submit_request(organisation=world.north, answers=answers or ANSWERS, urgency="now", language="en")


def _timed(act: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = act()
    return result, time.monotonic() - started


def _tick() -> list[str]:
    """What `refuge tick` does for the notices: run the job if it is due, as any runner would."""
    job = job_named("notices")
    assert job is not None
    # Each test starts with the job due, as after an interval has passed.
    ScheduledJob.objects.filter(name="notices").update(next_run_at=timezone.now())
    return [outcome.result for outcome in run_due([job], runner="test")]


def test_a_submission_sends_one_content_free_notice_to_the_role_mailbox(with_mailbox: World, smtp: Mailbox) -> None:
    with _mail_settings(smtp.port):
        submission = _submit(with_mailbox)
        assert _tick() == ["1 sent, 0 failed"]
        received = smtp.wait_for(1)
        assert _tick() == ["0 sent, 0 failed"]
        time.sleep(0.5)
    assert len(smtp.messages) == 1
    notice = received[0]
    assert notice.to == [MAILBOX]
    assert notice.sender == SENDER
    assert "1 new request since the last notice." in notice.body
    text = notice.subject + notice.body
    forbidden = [submission.request.reference, submission.receipt, "north", "North Rainbow"]
    forbidden += [word for value in ANSWERS.values() for word in value.split() if len(word) > 3]
    assert [word for word in forbidden if word.lower() in text.lower()] == []
    assert not PendingNotice.objects.exists()


def test_nothing_is_mailed_before_the_job_runs(with_mailbox: World, smtp: Mailbox) -> None:
    threads_before = set(threading.enumerate())
    with _mail_settings(smtp.port):
        _submit(with_mailbox)
        time.sleep(0.5)
        assert smtp.messages == []
        # A submission starts no sender of its own: the notice is owed in the database.
        assert set(threading.enumerate()) == threads_before
        assert PendingNotice.objects.filter(organisation=with_mailbox.north, kind="request").count() == 1
        _tick()
        assert len(smtp.wait_for(1)) == 1


def test_runners_racing_in_threads_send_a_notice_once(with_mailbox: World, smtp: Mailbox) -> None:
    with _mail_settings(smtp.port):
        for _ in range(3):
            _submit(with_mailbox)
        ScheduledJob.objects.filter(name="notices").update(next_run_at=timezone.now())
        barrier = threading.Barrier(4)
        job = job_named("notices")
        assert job is not None

        def runner(number: int) -> None:
            try:
                barrier.wait()
                run_due([job], runner=f"thread-{number}")
            finally:
                connection.close()

        threads = [threading.Thread(target=runner, args=(number,)) for number in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        smtp.wait_for(1)
        time.sleep(0.5)
    assert len(smtp.messages) == 1
    assert "3 new requests since the last notice." in smtp.messages[0].body


def _tick_in_another_process(port: int) -> subprocess.CompletedProcess[str]:
    """`refuge tick` in a process of its own, on this test's database, with mail set up."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "refuge.test_settings",
        "DATABASE_URL": url_of_the_test_database(),
        "REFUGE_SMTP_HOST": "127.0.0.1",
        "REFUGE_SMTP_PORT": str(port),
        "REFUGE_SMTP_STARTTLS": "off",
        "REFUGE_MAIL_FROM": SENDER,
    }
    return subprocess.run(
        [sys.executable, "-c", "from refuge.cli import main; main()", "tick"],
        env=environment,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_notice_owed_by_one_process_is_sent_once_by_ticks_in_others(with_mailbox: World, smtp: Mailbox) -> None:
    # The web process that stored the request may be gone (restarted, killed): the
    # notice is owed in the database, and whichever process ticks first sends it.
    with _mail_settings(smtp.port):
        _submit(with_mailbox)
        _submit(with_mailbox)
    first = _tick_in_another_process(smtp.port)
    second = _tick_in_another_process(smtp.port)
    assert first.returncode == 0, first.stderr
    assert "notices: 1 sent, 0 failed" in first.stdout
    assert "No job was due." in second.stdout
    received = smtp.wait_for(1)
    time.sleep(0.5)
    assert len(smtp.messages) == 1
    assert "2 new requests since the last notice." in received[0].body


def test_quick_submissions_are_counted_in_one_notice(with_mailbox: World, smtp: Mailbox) -> None:
    with _mail_settings(smtp.port, interval=1):
        for _ in range(3):
            _submit(with_mailbox)
        _tick()
        received = smtp.wait_for(1)
        time.sleep(1.2)
    assert len(smtp.messages) == 1
    assert "3 new requests since the last notice." in received[0].body


def test_requester_messages_are_counted_in_the_same_notice(with_mailbox: World, smtp: Mailbox) -> None:
    with _mail_settings(smtp.port, interval=1):
        submission = _submit(with_mailbox)
        access = access_by_receipt(submission.receipt)
        do_requester_message(request=access.request, secret=access.secret, body="They are looking for me")
        _tick()
        received = smtp.wait_for(1)
        time.sleep(1.2)
    assert len(smtp.messages) == 1
    assert "1 new request since the last notice." in received[0].body
    assert "1 new message from a requester since the last notice." in received[0].body
    assert "looking" not in received[0].body


def test_no_mail_is_sent_when_the_organisation_set_no_mailbox(world: World, smtp: Mailbox) -> None:
    with _mail_settings(smtp.port):
        _submit(world)
        assert _tick() == ["0 sent, 0 failed"]
        time.sleep(0.5)
    assert smtp.messages == []
    assert not PendingNotice.objects.exists()  # nothing stays owed either


def test_no_mail_is_sent_when_no_smtp_server_is_configured(with_mailbox: World, smtp: Mailbox) -> None:
    with _mail_settings(smtp.port, EMAIL_HOST=""):
        _submit(with_mailbox)
        assert not PendingNotice.objects.exists()  # not even a row owing one
        assert _tick() == ["mail is off"]
        time.sleep(0.5)
    assert smtp.messages == []


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never says a word (a hung mail server)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield int(server.getsockname()[1])
    server.close()


@pytest.mark.parametrize("server", ["refusing", "silent"])
def test_a_mail_server_that_is_down_neither_fails_nor_slows_a_submission(
    with_mailbox: World,
    silent_port: int,
    caplog: pytest.LogCaptureFixture,
    server: str,
) -> None:
    port = _free_port() if server == "refusing" else silent_port
    caplog.set_level(logging.WARNING, logger="refuge.accounts.notices")
    with _mail_settings(port, EMAIL_TIMEOUT=1):
        _submit(with_mailbox)  # warm-up: the first submission creates the blind-index keys
        submission, seconds = _timed(lambda: _submit(with_mailbox))
        assert _tick() == ["0 sent, 1 failed"]
    assert submission.request.pk is not None
    assert seconds < 1.0, f"a submission took {seconds:.2f} s while the mail server was {server}"
    assert "could not send a notice" in caplog.text
    assert MAILBOX not in caplog.text
    # Still owed, for the next run.
    assert list(PendingNotice.objects.values_list("attempts", flat=True)) == [1, 1]


def test_a_failed_notice_is_retried_with_its_counts(with_mailbox: World, caplog: pytest.LogCaptureFixture) -> None:
    port = _free_port()
    with _mail_settings(port):
        _submit(with_mailbox)
        assert _tick() == ["0 sent, 1 failed"]
        assert "could not send a notice" in caplog.text
        mailbox, controller = _start_smtp(port)
        try:
            _submit(with_mailbox)
            assert _tick() == ["1 sent, 0 failed"]
            received = mailbox.wait_for(1)
        finally:
            controller.stop()
    assert len(received) == 1
    assert "2 new requests since the last notice." in received[0].body


def test_a_notice_that_keeps_failing_is_given_up_with_a_log_line_that_names_no_one(
    with_mailbox: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="refuge.accounts.notices")
    with _mail_settings(_free_port()):
        _submit(with_mailbox)
        for _ in range(notices.MAX_ATTEMPTS):
            assert _tick() == ["0 sent, 1 failed"]
    assert "gave up on a notice" in caplog.text
    assert not PendingNotice.objects.exists()
    assert MAILBOX not in caplog.text


def test_a_duress_login_leaves_the_application_as_one_content_free_alert_line(
    with_mailbox: World, smtp: Mailbox
) -> None:
    bob = with_mailbox.bob
    do_set_duress_password(actor=bob.user, current_password=bob.password, duress_password="under-pressure-pass-99")
    with _mail_settings(smtp.port):
        login = Client().post(
            "/login/",
            {"organisation": "north", "username": "bob", "password": "under-pressure-pass-99", "code": "000000"},
        )
        assert login.status_code == 302
        assert smtp.messages == []  # nothing leaves while the coercer watches the login
        assert _tick() == ["1 sent, 0 failed"]
        received = smtp.wait_for(1)
        time.sleep(0.5)
    assert len(smtp.messages) == 1
    notice = received[0]
    assert notice.to == [MAILBOX]
    assert notice.subject == "Refuge: new activity"  # the subject of every notice
    assert notice.body.splitlines()[0] == "1 alert for coordinators since the last notice."
    text = (notice.subject + notice.body).lower()
    assert [word for word in ("bob", "duress", "lock", "north", "password", "coerc") if word in text] == []


def test_notice_wording_is_only_counts() -> None:
    with translation.override("en"):
        subject, body = notices.compose(requests=2, messages=1)
    assert subject == "Refuge: new activity"
    assert body.splitlines()[:2] == [
        "2 new requests since the last notice.",
        "1 new message from a requester since the last notice.",
    ]
    with translation.override("en"):
        assert "new message" not in notices.compose(requests=1, messages=0)[1]
        assert notices.compose(requests=0, messages=0, alerts=1)[1].splitlines()[0] == (
            "1 alert for coordinators since the last notice."
        )


def _settings_with(**variables: str) -> subprocess.CompletedProcess[str]:
    """Import the settings in a fresh interpreter with these mail variables (and no others)."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith(("REFUGE_SMTP", "REFUGE_MAIL"))
    }
    script = (
        "from django.conf import settings as s; print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
    )
    return subprocess.run(
        [sys.executable, "-c", f"import refuge.test_settings; {script}"],
        env={**environment, "DJANGO_SETTINGS_MODULE": "refuge.test_settings", **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


STARTS = True
REFUSED = False


@pytest.mark.parametrize(
    ("variables", "starts", "output"),
    [
        ({}, STARTS, " 587 True False"),
        (
            {"REFUGE_SMTP_HOST": "mail.example.org", "REFUGE_MAIL_FROM": SENDER},
            STARTS,
            "mail.example.org 587 True False",
        ),
        (
            {"REFUGE_SMTP_HOST": "m.example", "REFUGE_MAIL_FROM": SENDER, "REFUGE_SMTP_SSL": "on"},
            STARTS,
            "m.example 465 False True",
        ),
        ({"REFUGE_SMTP_HOST": "mail.example.org"}, REFUSED, "REFUGE_MAIL_FROM must be set when REFUGE_SMTP_HOST is"),
        ({"REFUGE_SMTP_SSL": "yes", "REFUGE_SMTP_STARTTLS": "yes"}, REFUSED, "not both"),
        ({"REFUGE_SMTP_PORT": "0"}, REFUSED, "REFUGE_SMTP_PORT must be at least 1"),
        ({"REFUGE_NOTIFY_MIN_INTERVAL_SECONDS": "soon"}, REFUSED, "must be a whole number"),
    ],
)
def test_mail_settings_are_read_from_the_environment_and_mistakes_stop_the_start(
    variables: dict[str, str], starts: bool, output: str
) -> None:
    result = _settings_with(**variables)
    assert output in result.stdout + result.stderr
    assert (result.returncode == 0) is starts
