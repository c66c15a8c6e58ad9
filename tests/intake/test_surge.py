"""The surge signal: a flood of new (or "danger now") requests cannot pass unnoticed (issue #16, item 8)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client, override_settings

from refuge.accounts.models import PendingNotice
from refuge.accounts.notices import compose
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry, HeldEntry
from refuge.intake.actions.common import this_hour
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.models import HelpRequest, SurgeSignal
from refuge.intake.surge import MIN_DANGER_NOW, MIN_REQUESTS, check_organisation, check_surges, rates, surge_of
from tests.personas import World, log_in

MAIL = override_settings(EMAIL_HOST="127.0.0.1")
_serial = iter(range(10**6))


def _requests(world: World, count: int, *, hours_ago: int = 0, urgency: str = "weeks") -> None:
    """`count` stored requests received `hours_ago` hours before this hour (copies of one real submission)."""
    template = do_submit_request(
        organisation=world.north, answers={"what_happened": "x"}, urgency=urgency, language="en"
    )
    at = this_hour() - datetime.timedelta(hours=hours_ago)
    HelpRequest.objects.filter(pk=template.request.pk).update(received_at=at)
    copies = []
    for _ in range(count - 1):
        n = next(_serial)
        copies.append(
            HelpRequest(
                organisation=world.north,
                reference=f"R-S{n:05d}",
                lookup_id=f"surge-{n}",
                key=template.request.key,
                content=b"",
                urgency=urgency,
                received_at=at,
                last_activity_at=at,
            )
        )
    HelpRequest.objects.bulk_create(copies)


def _held(code: AuditEvent) -> int:
    return HeldEntry.objects.filter(code=code).count() + AuditEntry.objects.filter(code=code).count()


@MAIL
def test_a_flood_without_history_begins_a_surge_once_with_one_notice_and_one_held_audit_entry(world: World) -> None:
    _requests(world, MIN_REQUESTS)
    assert check_organisation(world.north.pk, this_hour()) == (True, False)
    assert check_organisation(world.north.pk, this_hour()) == (False, False)
    signal = SurgeSignal.objects.get(organisation=world.north)
    assert signal.requests_since == this_hour()
    assert signal.danger_since is None
    assert list(
        PendingNotice.objects.filter(kind=PendingNotice.Kind.SURGE).values_list("organisation_id", flat=True)
    ) == [world.north.pk]
    # Held to the hour like a requester's act: its second would date the request that crossed the line.
    assert _held(AuditEvent.REQUEST_SURGE_BEGAN) == 1
    assert not AuditEntry.objects.filter(code=AuditEvent.REQUEST_SURGE_BEGAN).exists()
    # The other organisation saw nothing.
    assert not surge_of(world.south.pk).any


@MAIL
def test_danger_now_requests_cannot_exceed_their_rate_silently_inside_an_ordinary_total(world: World) -> None:
    _requests(world, MIN_DANGER_NOW, urgency="now")
    assert MIN_DANGER_NOW < MIN_REQUESTS
    assert check_organisation(world.north.pk, this_hour()) == (False, True)
    assert surge_of(world.north.pk).danger_since == this_hour()
    assert PendingNotice.objects.filter(kind=PendingNotice.Kind.DANGER).count() == 1
    assert _held(AuditEvent.DANGER_SURGE_BEGAN) == 1


def test_a_few_requests_are_no_surge(world: World) -> None:
    _requests(world, MIN_REQUESTS - 2)
    _requests(world, 1, urgency="now")
    check_surges()
    assert not surge_of(world.north.pk).any


def test_the_usual_rate_is_the_median_day_so_a_busy_organisation_is_not_alarmed_by_its_ordinary_hours(
    world: World,
) -> None:
    # 240 requests a day for two weeks (10 an hour): 40 in two hours is ordinary.
    for day in range(14):
        _requests(world, 240, hours_ago=2 + 24 * day)
    _requests(world, 40)
    now = rates(world.north.pk, this_hour())
    assert now.requests.usual == pytest.approx(20)
    assert not now.requests.surging
    # Five times the usual is a surge.
    _requests(world, 60)
    assert rates(world.north.pk, this_hour()).requests.surging


def test_one_flooded_day_does_not_raise_what_counts_as_usual(world: World) -> None:
    _requests(world, 5000, hours_ago=30)
    _requests(world, MIN_REQUESTS)
    assert rates(world.north.pk, this_hour()).requests.usual == 0
    assert rates(world.north.pk, this_hour()).requests.surging


def test_a_surge_ends_when_the_rate_falls_back(world: World) -> None:
    _requests(world, MIN_REQUESTS)
    check_organisation(world.north.pk, this_hour())
    later = this_hour() + datetime.timedelta(hours=3)
    assert check_organisation(world.north.pk, later) == (False, False)
    assert not surge_of(world.north.pk).any
    assert _held(AuditEvent.REQUEST_SURGE_ENDED) == 1


def test_every_intake_page_shows_the_banner_while_a_surge_lasts(world: World) -> None:
    _requests(world, MIN_REQUESTS, urgency="now")
    check_surges()
    one = HelpRequest.objects.filter(organisation=world.north).first()
    assert one is not None
    client = Client()
    log_in(client, world.ivan)
    for path in ("/requests/", "/requests/?show=groups", f"/requests/{one.pk}/", f"/requests/{one.pk}/accept/"):
        page = client.get(path).content.decode()
        assert "Requests are arriving far faster than usual" in page, path
        assert "“in danger right now” arrive at several times the usual rate" in page, path


def test_the_surge_notice_names_no_count_no_time_and_no_request() -> None:
    _subject, body = compose(0, 0, surge=True, danger=True)
    assert "far faster than usual" in body
    assert not any(ch.isdigit() for ch in body)
