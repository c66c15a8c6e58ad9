"""Listing an organisation's entries for its auditors, a page at a time."""

from __future__ import annotations

import pytest

from refuge.audit.events import AuditEvent
from refuge.audit.queries import entries_for_organisation, event_label
from tests.audit.conftest import Append
from tests.audit.helpers import NORTH, SOUTH

pytestmark = pytest.mark.django_db


def test_it_pages_through_an_organisations_entries_in_seq_order(append: Append) -> None:
    append(3)
    append(2, organisation_id=SOUTH)
    append(2)

    first = entries_for_organisation(NORTH, limit=3)
    second = entries_for_organisation(NORTH, after_seq=first.next_after or 0, limit=3)

    assert [entry.seq for entry in first.entries] == [1, 2, 3]
    assert first.next_after == 3
    assert [entry.seq for entry in second.entries] == [6, 7]
    assert second.next_after is None


def test_it_hides_other_organisations_entries(append: Append) -> None:
    append(2, organisation_id=SOUTH)

    page = entries_for_organisation(NORTH)

    assert page.entries == []
    assert page.next_after is None


def test_it_keeps_page_sizes_within_bounds(append: Append) -> None:
    append(2)

    assert len(entries_for_organisation(NORTH, limit=0).entries) == 1
    assert len(entries_for_organisation(NORTH, limit=10**6).entries) == 2


def test_event_labels_name_known_codes_and_show_unknown_ones() -> None:
    assert event_label(AuditEvent.DURESS_LOGIN) == "DURESS_LOGIN"
    assert event_label(12345) == "12345"
