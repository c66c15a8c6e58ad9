"""Checking in from the portal without JavaScript: the same page and answers, whatever is behind them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from refuge.intake.access import RECEIPT_NOT_FOUND
from refuge.safety.models import Alarm, AlarmKind, CheckIn
from tests.personas import World, without_tokens
from tests.requester.helpers import open_request
from tests.safety.support import WORD, Clock, accepted_case, set_schedule

pytestmark = pytest.mark.django_db


def check_in(client: Client, receipt: str, message: str = "") -> tuple[int, str]:
    form = client.get("/r/request/check-in/")
    assert form.status_code == 200
    response = client.post("/r/request/check-in/", {"receipt": receipt, "message": message})
    return response.status_code, comparable(response.content)


def comparable(content: bytes) -> str:
    """The page with form values blanked (CSRF tokens): what the server chose to say."""
    return without_tokens(content)


def test_a_duress_check_in_answers_exactly_as_a_normal_one(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester)
    fake_clock.move(hours=5)
    normal = check_in(Client(), requester.receipt, "all fine")
    assert Alarm.objects.count() == 0
    # The clock stands still: a second check-in at the same moment owes the same next time.
    fake_clock.move(seconds=0)
    duress = check_in(Client(), requester.receipt, WORD.lower() + ".")
    assert duress == normal
    assert normal[0] == 200 and "Received at 13:00 UTC" in normal[1]
    alarm = Alarm.objects.get()
    assert alarm.kind == AlarmKind.SIGNAL and alarm.case_id == requester.case.pk
    assert CheckIn.objects.count() == 2


def test_the_answer_is_the_same_with_or_without_a_schedule(world: World, fake_clock: Clock) -> None:
    scheduled, unscheduled = accepted_case(world), accepted_case(world)
    set_schedule(world, scheduled, every_hours=24)
    fake_clock.move(hours=1)
    with_schedule = check_in(Client(), scheduled.receipt, "hello")
    without_schedule = check_in(Client(), unscheduled.receipt, "hello")
    assert with_schedule == without_schedule
    # Neither a duress word nor a schedule exists for the second: its "word" raises nothing.
    assert check_in(Client(), unscheduled.receipt, WORD) == without_schedule
    assert Alarm.objects.count() == 0


def test_bad_receipts_answer_as_the_status_page_does_and_reveal_nothing(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    set_schedule(world, requester)
    unknown = "7K2M-Q9XD-4HNP-B3TW-8RVE"
    code, page = check_in(Client(), unknown, WORD)
    status_page = Client().post("/r/status/", {"receipt": unknown}).content.decode()
    assert code == 400 and str(RECEIPT_NOT_FOUND) in page and str(RECEIPT_NOT_FOUND) in status_page
    code_malformed, malformed = check_in(Client(), "not a receipt", WORD)
    assert code_malformed == 400 and "20 letters and digits" in malformed
    assert Alarm.objects.count() == 0 and CheckIn.objects.count() == 0


def test_an_expired_schedule_answers_like_none(world: World, fake_clock: Clock) -> None:
    ended, never = accepted_case(world), accepted_case(world)
    set_schedule(world, ended, ends_at=fake_clock.at.replace(hour=15))
    fake_clock.move(hours=10)  # past the end: the schedule owes nothing any more
    assert check_in(Client(), ended.receipt, "x") == check_in(Client(), never.receipt, "x")


def test_flooding_the_check_in_gets_the_same_refusal_with_or_without_a_schedule(
    world: World, fake_clock: Clock
) -> None:
    scheduled, unscheduled = accepted_case(world), accepted_case(world)
    set_schedule(world, scheduled)
    answers = []
    for requester in (scheduled, unscheduled):
        for _ in range(12):
            assert check_in(Client(), requester.receipt, "ping")[0] == 200
        answers.append(check_in(Client(), requester.receipt, "ping"))
    assert answers[0] == answers[1]
    assert answers[0][0] == 400 and "many times this hour" in answers[0][1]


def test_the_hourly_limit_is_counted_by_the_safety_clock_not_the_wall_clock(
    world: World, fake_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The flood test above once failed on a loaded machine: the hour was read from the wall
    # clock, and an hour turning mid-flood let the 13th check-in in. Here the wall clock turns
    # an hour after the 6th check-in, on purpose; the safety clock stands still.
    requester = accepted_case(world)
    an_hour_on = timezone.now() + timedelta(hours=1)
    for n in range(12):
        if n == 6:
            monkeypatch.setattr(timezone, "now", lambda: an_hour_on)
        assert check_in(Client(), requester.receipt, "ping")[0] == 200
    code, page = check_in(Client(), requester.receipt, "ping")
    assert code == 400 and "many times this hour" in page
    # The safety clock's hour turning does start a new hour.
    fake_clock.move(hours=1)
    assert check_in(Client(), requester.receipt, "ping")[0] == 200


def test_help_now_raises_an_alarm_openly(world: World, fake_clock: Clock) -> None:
    requester = accepted_case(world)
    client = Client()
    open_request(client, requester.receipt)
    page = client.get("/r/request/").content.decode()
    assert "I need help now" in page
    response = client.post("/r/request/help-now/")
    assert response.status_code == 302
    assert "Your team has been alerted" in client.get(response["Location"]).content.decode()
    assert Alarm.objects.get().kind == AlarmKind.SIGNAL


def test_help_now_without_a_session_asks_for_the_receipt(world: World) -> None:
    response = Client().post("/r/request/help-now/")
    assert response.status_code == 200 and "Enter your receipt" in response.content.decode()
    assert Alarm.objects.count() == 0


def test_every_new_portal_page_is_neutral_and_not_stored(world: World) -> None:
    for url in ("/r/request/check-in/", "/r/request/staying-safe/"):
        for language in ("en", "ru"):
            response = Client().get(url, HTTP_ACCEPT_LANGUAGE=language)
            html = response.content.decode()
            assert re.search(r"<title>[^<]*</title>", html).group(0) in (
                "<title>Contact form</title>",
                "<title>Форма связи</title>",
            ), html[:300]  # type: ignore[union-attr]
            assert 'class="quick-exit"' in html
            assert "no-store" in response["Cache-Control"]
