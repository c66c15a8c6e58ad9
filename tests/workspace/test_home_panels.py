"""The home page and the person page are made of panels (refuge/workspace/panels.py), like the case page."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.template import engines
from django.utils import timezone

from refuge.accounts.models import StaffAlert
from refuge.workspace import panels
from refuge.workspace.panels import (
    HomePanel,
    HomeView,
    PersonPanel,
    compose_home_panels,
    home_panels,
    person_panels,
    register_home_panel,
    register_person_panel,
)
from tests.personas import World
from tests.workspace.people_support import open_case, requester_of, ring

TODAYS_HOME_PANELS = [
    "alarms",
    "alerts",
    "keys-due",
    "keys",
    "invitations",
    "emergencies",
    "lost-contact",
    "tasks",
    "appointments",
    "awaiting-reply",
    "overdue-stays",
    "audit",
]
TODAYS_PERSON_PANELS = ["notes", "compartments", "shelter"]


def test_todays_home_cards_and_person_sections_are_registered_once_in_order() -> None:
    assert [panel.name for panel in home_panels()] == TODAYS_HOME_PANELS
    assert [panel.name for panel in person_panels()] == TODAYS_PERSON_PANELS


def test_the_person_page_shows_its_sections_in_order(world: World, client_for) -> None:
    case = open_case(world, team=[world.bob])
    person = requester_of(case)
    page = client_for(world.bob).get(f"/cases/{case.pk}/people/{person.pk}/").content.decode()
    headings = ["notes-heading", "compartments-heading", "shelter-heading"]
    assert [page.index(f'id="{h}"') for h in headings] == sorted(page.index(f'id="{h}"') for h in headings)


@pytest.fixture
def home_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, HomePanel]:
    """An empty home registry for the test, today's cards back afterwards."""
    empty: dict[str, HomePanel] = {}
    monkeypatch.setattr(panels, "_home_panels", empty)
    return empty


def _view(world: World) -> HomeView:
    return HomeView(world.bob.user, ring(world.bob), datetime.date(2026, 1, 5))


def _asked(log: list[str], name: str, answer: dict[str, Any] | None):
    def context(view: HomeView) -> dict[str, Any] | None:
        log.append(name)
        return answer

    return context


def test_home_cards_with_nothing_to_show_are_left_out_and_the_others_come_in_order(world: World, home_registry) -> None:
    asked: list[str] = []
    register_home_panel(HomePanel("late", 20, "late.html", _asked(asked, "late", {"late": 1})))
    register_home_panel(HomePanel("early", 10, "early.html", _asked(asked, "early", {"early": "x"})))
    register_home_panel(HomePanel("quiet", 15, "quiet.html", _asked(asked, "quiet", None)))
    register_home_panel(HomePanel("not-mine", 5, "no.html", _asked(asked, "not-mine", {}), shown=lambda m: False))
    context = compose_home_panels(_view(world))
    assert [panel.name for panel in context["home_panels"]] == ["early", "late"]
    assert context["early"] == "x" and context["late"] == 1 and context["waiting"] is True
    # A card not meant for the member costs nothing: its context is never asked.
    assert asked == ["early", "quiet", "late"]


def test_a_card_that_does_not_wait_leaves_the_empty_state(world: World, home_registry) -> None:
    register_home_panel(HomePanel("links", 10, "links.html", lambda view: {}, waits=False))
    context = compose_home_panels(_view(world))
    assert [panel.name for panel in context["home_panels"]] == ["links"] and context["waiting"] is False


def test_under_duress_only_static_cards_are_asked(world: World, home_registry) -> None:
    asked: list[str] = []
    register_home_panel(HomePanel("work", 10, "w.html", _asked(asked, "work", {"work": 1})))
    register_home_panel(HomePanel("links", 20, "l.html", _asked(asked, "links", {}), waits=False, static=True))
    context = compose_home_panels(_view(world), duress=True)
    assert [panel.name for panel in context["home_panels"]] == ["links"] and asked == ["links"]


def test_a_capability_adds_a_home_card_without_editing_the_home_view(
    world: World, client_for, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    """What a new capability (documentation's incidents, say) does from its own panels module, as safety's alarms do."""
    monkeypatch.setattr(panels, "_home_panels", dict(panels._home_panels))
    (tmp_path / "incidents.html").write_text(
        '<section class="card" id="incidents">{{ incident_count }} INCIDENTS-CARD</section>'
    )
    engine = engines["django"].engine
    monkeypatch.setattr(engine, "dirs", [*engine.dirs, str(tmp_path)])
    for loader in engine.template_loaders:
        if hasattr(loader, "reset"):
            loader.reset()
    register_home_panel(HomePanel("incidents", 55, "incidents.html", lambda view: {"incident_count": 3}))
    page = client_for(world.bob).get("/").content.decode()
    assert "3 INCIDENTS-CARD" in page
    assert "Nothing needs you right now" not in page


def test_a_second_home_or_person_panel_under_a_taken_name_is_refused_at_startup(
    monkeypatch: pytest.MonkeyPatch, home_registry
) -> None:
    monkeypatch.setattr(panels, "_person_panels", {})
    register_home_panel(HomePanel("alarms", 10, "a.html", lambda view: None))
    with pytest.raises(ImproperlyConfigured, match="already registered"):
        register_home_panel(HomePanel("alarms", 20, "b.html", lambda view: None))
    register_person_panel(PersonPanel("stay", 10, "s.html", forms={"place_form": lambda view: forms.Form()}))
    with pytest.raises(ImproperlyConfigured, match="place_form"):
        register_person_panel(PersonPanel("other", 20, "o.html", forms={"place_form": lambda view: forms.Form()}))


def test_an_alert_is_work_the_home_page_does_not_call_nothing(world: World, client_for) -> None:
    """A coordinator with a duress alert is not told that nothing needs them (it was, before panels)."""
    StaffAlert.objects.create(
        organisation=world.north,
        kind=StaffAlert.Kind.DURESS_LOGIN,
        subject_user=world.bob.user,
        created_at=timezone.now(),
    )
    page = client_for(world.alice).get("/").content.decode()
    assert "Alerts" in page and "Nothing needs you right now" not in page
