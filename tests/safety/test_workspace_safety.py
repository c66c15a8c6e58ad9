"""The workspace side: the schedule on the check-ins page (linked from the case page), the banner on every page, answering an alarm."""

from __future__ import annotations

import pytest

from refuge.audit.models import AuditEntry
from refuge.safety.audit_events import SafetyEvent
from refuge.safety.jobs import raise_missed_check_in_alarms
from refuge.safety.models import Alarm, AlarmTask, CheckInSchedule, EscalationStep
from tests.personas import World
from tests.safety.support import Clock, accepted_case, set_schedule

pytestmark = pytest.mark.django_db


def test_a_caseworker_sets_a_schedule_on_the_case_page(world: World, client_for, fake_clock: Clock) -> None:  # type: ignore[no-untyped-def]
    requester = accepted_case(world)
    bob = client_for(world.bob)
    page = bob.get(f"/cases/{requester.case.pk}/").content.decode()
    assert 'id="safety"' in page and "Set a check-in schedule" in page
    # The form (597 time zones) is on the check-ins page, which the panel links to, not on every case page.
    assert 'name="schedule-zone"' not in page
    assert f'href="/cases/{requester.case.pk}/check-ins/#schedule-form"' in page
    form_page = bob.get(f"/cases/{requester.case.pk}/check-ins/").content.decode()
    assert 'id="schedule-form"' in form_page and 'name="schedule-zone"' in form_page
    response = bob.post(
        f"/cases/{requester.case.pk}/check-ins/schedule/",
        {
            "schedule-times": "09:00, 21:00",
            "schedule-zone": "Europe/Moscow",
            "schedule-grace_minutes": "45",
            "schedule-duress_word": "sunflower",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    schedule = CheckInSchedule.objects.get(case=requester.case)
    assert schedule.grace_minutes == 45 and schedule.next_due_at is not None
    assert b"sunflower" not in bytes(schedule.rule) and b"Moscow" not in bytes(schedule.rule)
    check_ins = bob.get(f"/cases/{requester.case.pk}/check-ins/").content.decode()
    assert "09:00, 21:00 (Europe/Moscow)" in check_ins and "sunflower" not in check_ins


def test_a_schedule_with_both_hours_and_times_is_refused_next_to_the_field(world: World, client_for) -> None:  # type: ignore[no-untyped-def]
    requester = accepted_case(world)
    bob = client_for(world.bob)
    response = bob.post(
        f"/cases/{requester.case.pk}/check-ins/schedule/",
        {"schedule-every_hours": "6", "schedule-times": "09:00", "schedule-zone": "UTC", "schedule-grace_minutes": "5"},
    )
    assert response.status_code == 400
    # Shown again where it was typed: the check-ins page's schedule form, with the error next to the field.
    assert "not both" in response.content.decode()
    assert 'id="schedule-form"' in response.content.decode()
    assert not CheckInSchedule.objects.exists()
    assert not AuditEntry.objects.filter(code=SafetyEvent.SCHEDULE_SET).exists()


def test_a_missed_check_in_shows_on_every_page_until_an_outcome(world: World, client_for, fake_clock: Clock) -> None:  # type: ignore[no-untyped-def]
    alice = client_for(world.alice)
    alice.post("/organisation/escalation/", {"title": "Call the safe contact", "minutes": "15", "owner": "team"})
    alice.post("/organisation/escalation/", {"title": "Send the lawyer", "minutes": "40", "owner": "coordinators"})
    assert EscalationStep.objects.count() == 2
    requester = accepted_case(world)
    set_schedule(world, requester)
    fake_clock.move(hours=7)
    raise_missed_check_in_alarms()
    alarm = Alarm.objects.get()
    tasks = list(AlarmTask.objects.filter(alarm=alarm))
    assert [(t.title, (t.due_at - alarm.raised_at).total_seconds()) for t in tasks] == [
        ("Call the safe contact", 900),
        ("Send the lawyer", 2400),
    ]
    bob, bella = client_for(world.bob), client_for(world.bella)
    for client in (bob, alice):
        for url in ("/", "/cases/", "/account/"):
            assert "1 alarm is open" in client.get(url).content.decode(), url
    assert "1 alarm is open" not in bella.get("/").content.decode()  # not on the team
    assert bella.get(f"/alarms/{alarm.pk}/").status_code == 404

    fake_clock.move(minutes=4)
    assert bob.post(f"/alarms/{alarm.pk}/acknowledge/").status_code == 302
    alarm.refresh_from_db()
    assert alarm.acknowledged_by_id == world.bob.user.pk and alarm.first_response_seconds == 240
    again = alice.post(f"/alarms/{alarm.pk}/acknowledge/")
    assert again.status_code == 400 and "already taken this alarm on" in again.content.decode()
    bob.post(f"/alarms/{alarm.pk}/tasks/{tasks[0].pk}/done/")
    assert AlarmTask.objects.get(pk=tasks[0].pk).done_by_id == world.bob.user.pk
    page = bob.get(f"/alarms/{alarm.pk}/").content.decode()
    assert "Taken on by bob" in page and "done by bob" in page

    assert bob.post(f"/alarms/{alarm.pk}/outcome/", {"outcome": ""}).status_code == 400
    assert bob.post(f"/alarms/{alarm.pk}/outcome/", {"outcome": "contact_back"}).status_code == 302
    for client in (bob, alice):
        assert "1 alarm is open" not in client.get("/").content.decode()
    requester.case.refresh_from_db()
    assert requester.case.lost_contact_since is None


def _alarms_card(html: str) -> str:
    start = html.find('aria-labelledby="alarms-heading"')
    return html[start : html.find("</section>", start)] if start >= 0 else ""


def test_the_home_page_lists_open_alarms_with_a_button_to_take_them_on(
    world: World, client_for, fake_clock: Clock
) -> None:  # type: ignore[no-untyped-def]
    requester = accepted_case(world)
    set_schedule(world, requester)
    fake_clock.move(hours=7)
    raise_missed_check_in_alarms()
    alarm = Alarm.objects.get()
    bob, alice = client_for(world.bob), client_for(world.alice)
    for client in (bob, alice):
        card = _alarms_card(client.get("/").content.decode())
        assert "Open alarms" in card and "Missed check-in" in card and requester.case.reference in card
        assert f'action="/alarms/{alarm.pk}/acknowledge/"' in card and "I am taking this on" in card
        assert f'href="/alarms/{alarm.pk}/"' in card
    # Not on the team, or answering no alarm: no card, and nothing of the case.
    for persona in (world.bella, world.audrey, world.adam, world.charlie):
        page = client_for(persona).get("/").content.decode()
        assert _alarms_card(page) == "" and requester.case.reference not in page, persona.user.username

    # Taken on from the home page: the alarm's page opens with its checklist; the card says who.
    response = bob.post(f"/alarms/{alarm.pk}/acknowledge/")
    assert response.status_code == 302 and response["Location"] == f"/alarms/{alarm.pk}/"
    card = _alarms_card(alice.get("/").content.decode())
    assert ">bob<" in card.replace(" ", "").replace("\n", "") and "I am taking this on" not in card
    assert bob.post(f"/alarms/{alarm.pk}/outcome/", {"outcome": "contact_back"}).status_code == 302
    assert _alarms_card(alice.get("/").content.decode()) == ""


def test_the_alarms_card_costs_the_same_with_one_alarm_or_many(world: World, client_for, fake_clock: Clock) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    alice = client_for(world.alice)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert alice.get("/").status_code == 200
        return len(captured)

    first = accepted_case(world)
    set_schedule(world, first)
    fake_clock.move(hours=7)
    raise_missed_check_in_alarms()
    one = queries()
    for _ in range(4):
        set_schedule(world, accepted_case(world))
    fake_clock.move(hours=7)
    raise_missed_check_in_alarms()
    alarms = Alarm.objects.count()
    assert alarms >= 5
    assert _alarms_card(alice.get("/").content.decode()).count("I am taking this on") == alarms
    assert queries() == one


def test_a_new_alarm_shows_on_the_very_next_page_and_none_is_looked_up_while_none_is_open(  # type: ignore[no-untyped-def]
    world: World, client_for, fake_clock: Clock
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    requester = accepted_case(world)
    set_schedule(world, requester)
    bob = client_for(world.bob)
    pages = ("/", "/cases/", "/account/", f"/cases/{requester.case.pk}/")

    def alarm_lookups(url: str) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as captured:
            response = bob.get(url)
        assert response.status_code == 200, url
        return response.content.decode(), sum(q["sql"].startswith('SELECT "safety_alarm"."id"') for q in captured)

    for url in pages:
        page, lookups = alarm_lookups(url)
        assert 'class="alarm-banner"' not in page and lookups == 0, url
    fake_clock.move(hours=7)
    raise_missed_check_in_alarms()
    # Asked anew with the member on every request: the very next page shows it, on every page.
    for url in pages:
        page, lookups = alarm_lookups(url)
        assert 'class="alarm-banner"' in page and "1 alarm is open" in page and lookups >= 1, url
    alarm = Alarm.objects.get()
    assert bob.post(f"/alarms/{alarm.pk}/outcome/", {"outcome": "contact_back"}).status_code == 302
    for url in pages:
        page, lookups = alarm_lookups(url)
        assert 'class="alarm-banner"' not in page, url
    # The case page's safety panel lists the case's closed alarm; every other page looks none up.
    assert [alarm_lookups(url)[1] for url in pages[:3]] == [0, 0, 0]
