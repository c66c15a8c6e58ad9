"""The case page is made of panels (refuge/workspace/panels.py), composed in order with section links."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from refuge.cases.models import Case
from refuge.retention.actions import do_set_legal_hold
from refuge.retention.queries import case_retention
from refuge.workspace import panels
from refuge.workspace.panels import (
    CasePanel,
    CaseView,
    answer_case_questions,
    case_panels,
    compose_case_panels,
    register_case_panel,
)
from tests.personas import World
from tests.workspace.test_cases_views import _case, _open_case

TODAYS_PANELS = [
    "stage",
    "safety",  # refuge/workspace/views/safety_panels.py
    "summary",
    "people",
    "applications",  # refuge/workspace/views/applications_panels.py
    "journey",
    "tasks",
    "notes",
    "conversation",
    "documents",
    "expenses",
    "disclosures",  # refuge/workspace/views/disclosures_panels.py
    "team",
    "timeline",
]


# Registered too, shown only on a case with requests attached to it (tests/workspace/test_attach_request.py),
# and retention, shown to coordinators only (tests/workspace/test_retention_page.py).
REGISTERED = [*TODAYS_PANELS[:9], "attached", *TODAYS_PANELS[9:], "retention"]


def test_todays_sections_are_registered_once_in_page_order() -> None:
    assert [panel.name for panel in case_panels()] == REGISTERED


def test_the_case_page_links_to_each_of_its_sections_in_order(world: World, client_for) -> None:
    case = _case(_open_case(world, [world.bob]))
    page = client_for(world.bob).get(f"/cases/{case.pk}/").content.decode()
    nav = re.search(r'<nav class="case-sections" aria-label="Sections of this case">(.*?)</nav>', page, re.S)
    assert nav is not None
    anchors = re.findall(r'<a href="#([a-z-]+)">([^<]+)</a>', nav.group(1))
    assert [name for name, _title in anchors] == TODAYS_PANELS
    assert dict(anchors)["conversation"] == "Conversation with the requester"
    for name, _title in anchors:
        assert page.count(f'id="{name}"') == 1  # each link reaches exactly one section
    # The sections come in the order of their links.
    assert [page.index(f'id="{name}"') for name, _title in anchors] == sorted(
        page.index(f'id="{n}"') for n in TODAYS_PANELS
    )


def test_a_coordinator_outside_the_team_gets_no_section_links(world: World, client_for) -> None:
    case = _case(_open_case(world, [world.bob]))
    assert 'class="case-sections"' not in client_for(world.alice).get(f"/cases/{case.pk}/").content.decode()


class _Form(forms.Form):
    text = forms.CharField()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, CasePanel]:
    """An empty registry for the test, today's panels back afterwards."""
    empty: dict[str, CasePanel] = {}
    monkeypatch.setattr(panels, "_case_panels", empty)
    return empty


def _view(world: World) -> CaseView:
    case = Case(reference="C-TEST")
    return CaseView(world.bob, case, content=None, conversation=None)  # type: ignore[arg-type]


def _context(view: CaseView) -> dict[str, Any]:
    return {"seen": view.case.reference}


def test_panels_are_composed_in_order_with_their_context_and_fresh_forms(world: World, registry) -> None:
    register_case_panel(CasePanel("late", 20, "Late", "late.html", forms={"late_form": lambda case: _Form(prefix="l")}))
    register_case_panel(CasePanel("early", 10, "Early", "early.html", context=_context))
    register_case_panel(CasePanel("hidden", 15, "Hidden", "hidden.html", shown=lambda view: False))
    context = compose_case_panels(_view(world), {})
    assert [panel.name for panel in context["panels"]] == ["early", "late"]
    assert context["seen"] == "C-TEST"
    assert isinstance(context["late_form"], _Form) and not context["late_form"].is_bound


def test_a_failed_form_is_shown_as_typed(world: World, registry) -> None:
    register_case_panel(CasePanel("notes", 10, "Notes", "n.html", forms={"note_form": lambda case: _Form(prefix="n")}))
    typed = _Form({"n-text": ""}, prefix="n")
    assert compose_case_panels(_view(world), {"note_form": typed})["note_form"] is typed


def test_a_second_panel_or_form_under_a_taken_name_is_refused_at_startup(registry) -> None:
    register_case_panel(CasePanel("notes", 10, "Notes", "n.html", forms={"note_form": lambda case: _Form()}))
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        register_case_panel(CasePanel("notes", 20, "Notes again", "n.html"))
    with pytest.raises(ImproperlyConfigured, match="note_form"):
        register_case_panel(CasePanel("other", 20, "Other", "o.html", forms={"note_form": lambda case: _Form()}))


def test_a_second_question_under_a_taken_name_is_refused_at_startup(registry) -> None:
    register_case_panel(CasePanel("safety", 10, "Safety", "s.html", asks={"any_alarm": "EXISTS (SELECT 1)"}))
    with pytest.raises(ImproperlyConfigured, match="any_alarm"):
        register_case_panel(CasePanel("other", 20, "Other", "o.html", asks={"any_alarm": "EXISTS (SELECT 1)"}))


def _statements_of_case_page(client: Any, case: Case) -> int:
    with CaptureQueriesContext(connection) as statements:
        assert client.get(f"/cases/{case.pk}/").status_code == 200
    return len(statements)


NOTES_ASKED = "EXISTS (SELECT 1 FROM cases_note WHERE case_id = %(case)s)"


def test_a_panel_that_asks_adds_no_statement_to_the_case_page(
    world: World, client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every shown panel's question is answered in the one statement of the page, however many panels ask."""
    case = _case(_open_case(world, [world.alice]))
    client = client_for(world.alice)  # a coordinator: the retention panel asks too
    client.get(f"/cases/{case.pk}/")
    before = _statements_of_case_page(client, case)
    seen: list[Any] = []

    def _asked(view: CaseView) -> dict[str, Any]:
        seen.append(view.answers["extra_notes"])
        return {}

    extra = CasePanel(
        "extra", 200, "Extra", "includes/messages.html", context=_asked, asks={"extra_notes": NOTES_ASKED}
    )
    monkeypatch.setattr(panels, "_case_panels", dict(panels._case_panels))
    register_case_panel(extra)
    assert _statements_of_case_page(client, case) == before
    assert seen == [0] or seen == [False]  # the case has no note yet (SQLite answers 0, PostgreSQL false)


def test_no_statement_is_made_when_no_shown_panel_asks(world: World, registry) -> None:
    register_case_panel(CasePanel("plain", 10, "Plain", "p.html"))
    register_case_panel(CasePanel("hidden", 20, "Hidden", "h.html", shown=lambda view: False, asks={"x": "1"}))
    with CaptureQueriesContext(connection) as statements:
        context = compose_case_panels(_view(world), {})
    assert len(statements) == 0
    assert [panel.name for panel in context["panels"]] == ["plain"]


def test_the_questions_of_todays_panels_answer_nothing_there_for_a_new_case(world: World) -> None:
    case = _case(_open_case(world, [world.bob]))
    answers = answer_case_questions(case, case_panels())
    assert set(answers) == {
        "safety_schedule",
        "safety_alarms",
        "safety_check_ins",
        "applications_any",
        "journey_departed",
        "journey_arrived",
        "journey_legs",
        "disclosures_any",
        "retention_held_since",
    }
    assert not any(answers.values())


def test_the_retention_question_answers_the_day_the_hold_began(world: World) -> None:
    case = _case(_open_case(world, [world.bob]))
    held_on = datetime.date(2026, 3, 4)
    do_set_legal_hold(actor=world.alice.user, record_=case, today=held_on)
    answers = answer_case_questions(case, case_panels())
    assert case_retention(case, answers).held_since == held_on == case_retention(case).held_since
    assert not answers["disclosures_any"] and not answers["safety_alarms"]
