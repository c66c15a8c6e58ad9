"""A requester checks in from a phone with JavaScript off, then checks in with the duress word (issue #13).

Whoever watches the phone's screen sees the same answer twice: the test diffs the two
responses as the server sent them, and they differ only in the form tokens every page
carries. Only the second raises an alarm: the case team sees it on the workspace (the
banner on every page and the home page's card), a content-free notice reaches a real SMTP
server on loopback when the scheduler's jobs run, and once a caseworker takes the alarm on,
the organisation's escalation checklist is there as tasks with deadlines.

The scheduler's jobs are run here as one tick of `refuge scheduler` runs them (`run_due`, the
live test tests/safety/test_alarm_delivery_live.py runs the real process). The safety clock
stands still (tests/safety/support.py), so that both check-ins are received at the same
minute. Every wait is on what a person would see (Playwright's `expect`), never a sleep.
"""

from __future__ import annotations

import difflib
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, Response, expect

from refuge.accounts.models import Organisation, PendingNotice, User
from refuge.core.jobs import job_named
from refuge.safety.actions.escalation import do_add_escalation_step
from refuge.safety.models import Alarm, AlarmKind, AlarmTask, CheckIn
from refuge.scheduler.models import ScheduledJob
from refuge.scheduler.runner import run_due
from tests.browser import pagechecks
from tests.intake.test_notify import _free_port, _mail_settings, _start_smtp
from tests.personas import Persona, World, without_tokens, world  # noqa: F401
from tests.safety.support import WORD, Clock, accepted_case, fake_clock, set_schedule  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

MAILBOX = "team@north.example"
MESSAGE = "All calm at the flat"
STEPS = [("Call the safe contact", 15, "team"), ("Send the lawyer", 40, "coordinators")]
# Generous: the machine may be shared by other work; each wait still ends as soon as the page shows it.
WAIT_MS = 60_000
CHECK_IN_PATH = "/r/request/check-in/"
TOKEN_LINE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _check_in(page: Page, base: str, receipt: str, message: str) -> bytes:
    """From the portal's front page, as a requester would; the answer as the server sent it."""
    page.goto(f"{base}/r/north/")
    page.get_by_role("link", name="Check in", exact=True).first.click()
    expect(page.get_by_role("heading", name="Check in")).to_be_visible(timeout=WAIT_MS)
    page.locator('[name="receipt"]').fill(receipt)
    page.locator('[name="message"]').fill(message)

    def is_answer(response: Response) -> bool:
        return response.request.method == "POST" and response.url.endswith(CHECK_IN_PATH)

    with page.expect_response(is_answer, timeout=WAIT_MS) as answer:
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".note--success")).to_be_visible(timeout=WAIT_MS)
    assert answer.value.status == 200
    return answer.value.body()


def _log_in(page: Page, base: str, persona: Persona) -> None:
    User.objects.filter(pk=persona.user.pk).update(totp_last_step=0)
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Organisation").fill(persona.org_slug)
    page.get_by_label("Username").fill(persona.user.username)
    page.get_by_label("Password", exact=True).fill(persona.password)
    page.get_by_label("Code from your authenticator app").fill(persona.refresh().code())
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible(timeout=WAIT_MS)


def _tick() -> list[str]:
    """One turn of the scheduler over the two jobs that matter here, both due as after their interval."""
    jobs = [job_named("check-in-alarms"), job_named("notices")]
    assert None not in jobs
    ScheduledJob.objects.filter(name__in=["check-in-alarms", "notices"]).update(next_run_at=timezone.now())
    return [outcome.result for outcome in run_due([job for job in jobs if job], runner="browser-test")]


def _differences(first: bytes, second: bytes) -> list[str]:
    lines = difflib.unified_diff(first.decode().splitlines(), second.decode().splitlines(), lineterm="", n=0)
    return [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_a_duress_check_in_looks_like_any_other_and_alarms_the_team(
    live_server,
    new_page,
    browser: Browser,
    world: World,  # noqa: F811
    fake_clock: Clock,  # noqa: F811
) -> None:
    base = live_server.url
    for title, minutes, owner in STEPS:
        do_add_escalation_step(actor=world.alice.user, title=title, minutes=minutes, owner=owner)
    requester = accepted_case(world)
    set_schedule(world, requester)  # every 6 hours, 30 minutes' grace, the duress word WORD
    Organisation.objects.filter(pk=world.north.pk).update(notification_email=MAILBOX)
    fake_clock.move(hours=5)
    mailbox, controller = _start_smtp(_free_port())
    try:
        with _mail_settings(mailbox.port):
            phone = new_page(java_script_enabled=False)
            phone.set_default_timeout(WAIT_MS)

            normal = _check_in(phone, base, requester.receipt, MESSAGE)
            assert Alarm.objects.count() == 0 and CheckIn.objects.count() == 1
            # The scheduler finds nothing to raise or to mail: the check-in was on time.
            assert _tick() == ["0 alarms raised", "0 sent, 0 failed"]
            assert PendingNotice.objects.count() == 0 and mailbox.messages == []

            # The duress word is the whole message, typed as on a phone under stress.
            duress = _check_in(phone, base, requester.receipt, f"{WORD.lower()}.")
            # The two answers, diffed as sent: only the form tokens differ.
            changed = _differences(normal, duress)
            assert all(TOKEN_LINE.search(line) for line in changed), "\n".join(changed)
            assert without_tokens(normal) == without_tokens(duress)
            assert "Received at 13:00 UTC" in normal.decode()

            alarm = Alarm.objects.get()
            assert alarm.kind == AlarmKind.SIGNAL and alarm.case_id == requester.case.pk
            assert AlarmTask.objects.filter(alarm=alarm).count() == len(STEPS)
            assert _tick() == ["0 alarms raised", "1 sent, 0 failed"]
            received = mailbox.wait_for(1, seconds=30)
            assert len(received) == 1
            notice = received[0]
            assert notice.to == [MAILBOX]
            assert "1 alert for coordinators since the last notice." in notice.body
            text = (notice.subject + notice.body).lower()
            told = [requester.receipt, requester.case.reference, WORD, MESSAGE, "check-in", "duress", "signal"]
            assert [word for word in told if word.lower() in text] == []

            # The team sees it on the workspace, takes it on from the home page, and the checklist is there.
            desk = new_page(java_script_enabled=False)
            desk.set_default_timeout(WAIT_MS)
            _log_in(desk, base, world.bob)
            expect(desk.get_by_role("heading", name="1 alarm is open")).to_be_visible(timeout=WAIT_MS)
            card = desk.locator('section[aria-labelledby="alarms-heading"]')
            expect(card.get_by_role("link", name="Signal from the requester")).to_be_visible(timeout=WAIT_MS)
            expect(card.get_by_role("cell", name=requester.case.reference)).to_be_visible(timeout=WAIT_MS)
            card.get_by_role("button", name=re.compile("^I am taking this on")).click()
            expect(desk.get_by_role("heading", name=re.compile("^Alarm"))).to_be_visible(timeout=WAIT_MS)
            expect(desk.get_by_text(re.compile("Taken on by bob"))).to_be_visible(timeout=WAIT_MS)
            tasks = desk.locator('section[aria-labelledby="alarm-tasks-heading"] tbody tr')
            expect(tasks).to_have_count(len(STEPS), timeout=WAIT_MS)
            for row, (title, _minutes, _owner) in zip(tasks.all(), STEPS, strict=True):
                expect(row).to_contain_text(title)
            alarm.refresh_from_db()
            assert alarm.acknowledged_by_id == world.bob.user.pk

            # The answer page, checked as every page is, in both languages (a POST answer is not
            # in the page log): the Russian one from a Russian phone's ordinary check-in.
            russian = new_page(java_script_enabled=False, locale="ru-RU")
            russian.set_default_timeout(WAIT_MS)
            russian.goto(f"{base}{CHECK_IN_PATH}")
            russian.locator('[name="receipt"]').fill(requester.receipt)
            with russian.expect_response(lambda r: r.request.method == "POST", timeout=WAIT_MS) as answer:
                russian.locator("main form button[type=submit]").click()
            expect(russian.locator(".note--success")).to_be_visible(timeout=WAIT_MS)
            answers = [
                pagechecks.Seen(f"{base}{CHECK_IN_PATH}", "en", duress.decode()),
                pagechecks.Seen(f"{base}{CHECK_IN_PATH}", "ru", answer.value.body().decode()),
            ]
            assert '<html lang="ru"' in answers[1].html
            problems = pagechecks.axe_violations(browser, answers) + pagechecks.html_errors(answers)
            assert problems == [], "\n".join(problems)
    finally:
        controller.stop()
    assert Alarm.objects.count() == 1
