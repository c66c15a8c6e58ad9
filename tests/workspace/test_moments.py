"""The case page's time filters (templatetags/moments.py) write what Django's `date` filter writes."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.template import engines
from django.utils import timezone

UTC = datetime.UTC
MOMENTS: list[Any] = [
    datetime.datetime(2026, 12, 8, 3, 51, 15, 393773, tzinfo=UTC),
    datetime.datetime(2026, 1, 2, 0, 0, 0, tzinfo=UTC),
    datetime.datetime(2026, 3, 29, 1, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Moscow")),
    datetime.datetime(999, 5, 6, 7, 8, 9, tzinfo=UTC),  # a year strftime would not pad
    datetime.datetime(1900, 1, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Amsterdam")),  # +00:19:32
    datetime.datetime(2026, 6, 1, 9, 5, 59),  # naive
    None,
    "",
]
ZONES = ["UTC", "Europe/Moscow", "America/St_Johns", "Asia/Kathmandu"]


def _render(source: str, value: Any) -> str:
    return engines["django"].from_string(source).render({"value": value})


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize("value", MOMENTS, ids=repr)
def test_the_case_pages_moments_are_written_as_the_date_filter_writes_them(zone: str, value: Any) -> None:
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        assert _render("{% load moments %}{{ value|moment_attribute }}", value) == _render(
            "{{ value|date:'Y-m-d\\TH:i:sO' }}", value
        )
        assert _render("{% load moments %}{{ value|moment }}", value) == _render('{{ value|date:"Y-m-d H:i" }}', value)


def test_a_moment_is_written_in_the_current_time_zone_to_the_second() -> None:
    value = datetime.datetime(2026, 12, 8, 3, 51, 15, 393773, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo("Asia/Kathmandu")):
        assert _render("{% load moments %}{{ value|moment_attribute }} {{ value|moment }}", value) == (
            "2026-12-08T09:36:15+0545 2026-12-08 09:36"
        )
