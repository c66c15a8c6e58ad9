"""Dates in the workspace read one way: "2026-03-04" and "2026-03-04 09:30" (issue #16 item 17)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.test import Client

from refuge.accounts.models import StaffAlert
from tests.personas import World, log_in

TEMPLATES = Path(__file__).resolve().parents[2] / "refuge"
# One way: ISO order, shortened to what the page needs. The audit log shows seconds (its
# entries are ordered by them) and its statistics whole months.
ONE_WAY = {"Y-m", "Y-m-d", "Y-m-d H:i", "Y-m-d H:i:s"}


def test_every_template_shows_dates_in_the_one_format() -> None:
    formats = set()
    # The requester portal writes dates in words ("4 March 2026") for people, on purpose.
    staff = [path for path in TEMPLATES.glob("*/templates/**/*.html") if "requester" not in path.parts]
    assert staff
    for template in staff:
        text = template.read_text(encoding="utf-8")
        formats |= set(re.findall(r'\|date:"([^"]*)"', text))
        assert not re.search(r"\|date\s*(\}\}|\|)", text), f"{template}: a date in the locale's default format"
        assert "|naturaltime" not in text and "|timesince" not in text, template
    assert formats <= ONE_WAY, formats - ONE_WAY


def test_an_alert_on_the_home_page_is_dated_like_everything_else(world: World) -> None:
    when = datetime.datetime(2026, 3, 4, 9, 30, tzinfo=datetime.UTC)
    StaffAlert.objects.create(
        organisation=world.north, kind=StaffAlert.Kind.DURESS_LOGIN, subject_user=world.bob.user, created_at=when
    )
    client = Client()
    log_in(client, world.alice)
    page = client.get("/").content.decode()
    assert "bob, 2026-03-04 09:30" in page
    assert "March" not in page and "a.m." not in page
