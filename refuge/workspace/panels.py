"""The panels of the workspace's composed pages: the case page, the person page and the home page.

Each section of these pages is registered here by the app that owns it, from its own
`views/<app>_panels.py`, so that a new capability adds a section without editing the view
that renders the page (docs/development.md, "How to add a capability", step 8).

A case panel is a name (the section's anchor, `#notes`), an order on the page, a title (its
section link), a template, a function that builds its context from the opened case
(`CaseView`: what `open_case_page` decrypted, the member), the forms it shows (the one that
failed is kept as typed by `render_case`), optionally when it is shown, and what it asks the
database before it builds its context ("is there anything to show?"). `render_case` composes
the panels in order and lists them as section links at the top of the page.

A panel's questions (`asks`) are SQL expressions of one case, such as
`EXISTS (SELECT 1 FROM safety_alarm WHERE case_id = %(case)s)`; the questions of every shown
panel are answered together in one statement per page (`answer_case_questions`), and each panel
reads its answers from `view.answers`, so that a panel with nothing to show reads nothing more,
and a new panel adds no statement of its own to every case page. They are written as SQL once
rather than as ORM querysets, which cost thousands of Python calls to compile on every page.
A person panel is the same for one person of a case (`PersonView`: what `open_person_page`
decrypted). A home panel (`HomePanel`) is one card of "what needs me today": who it is for,
and what it shows now, or nothing (then it is left out; a home page with no panel that
waits for the member says "Nothing needs you right now").

Panels are registered once, at startup, from `AppConfig.ready()` (workspace's `apps.py` imports
each panels module); a second panel or form under a name already taken is a startup error.
Panel contexts are merged into one page context, so a panel's keys are its own: prefix them
with the panel's name when in doubt.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils.functional import Promise

from refuge.accounts.models import User
from refuge.cases.models import Case
from refuge.cases.reads import CaseContent, Conversation, PersonPage
from refuge.intake.reads import RequestPage
from refuge.keyring.keyring import Keyring


class _Panel(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def order(self) -> int: ...


P = TypeVar("P", bound=_Panel)


def _register(registry: dict[str, P], panel: P, page: str, forms_of: Callable[[P], Mapping[str, Any]]) -> P:
    if panel.name in registry:
        raise ImproperlyConfigured(f"A {page} panel named {panel.name!r} is already registered.")
    taken = {name for other in registry.values() for name in forms_of(other)}
    if clash := taken & set(forms_of(panel)):
        raise ImproperlyConfigured(
            f"{page.capitalize()} panel {panel.name!r}: form names already taken: {sorted(clash)}."
        )
    registry[panel.name] = panel
    return panel


def _in_order(registry: dict[str, P]) -> list[P]:
    return sorted(registry.values(), key=lambda panel: (panel.order, panel.name))


# --- the case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseView:
    """What a panel builds from: the case opened for a member of its team, its content decrypted."""

    member: User
    case: Case
    content: CaseContent
    conversation: Conversation | None
    # Requests attached to the case later, decrypted by open_case_page (refuge/cases/attach.py).
    attached: list[RequestPage] = field(default_factory=list)
    # The shown panels' questions answered (`CasePanel.asks`), by name: filled by compose_case_panels.
    answers: Mapping[str, Any] = field(default_factory=dict)


FormFactory = Callable[[Case], forms.Form]


def _always(_view: Any) -> bool:
    return True


def _nothing(_view: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class CasePanel:
    name: str  # the section's id on the page and its anchor
    order: int  # lower first
    title: str | Promise  # the section link's text (the panel's heading)
    template: str
    context: Callable[[CaseView], dict[str, Any]] = _nothing
    forms: Mapping[str, FormFactory] = field(default_factory=dict)
    shown: Callable[[CaseView], bool] = _always
    # What the panel asks before building its context: a name (unique on the page) for each SQL
    # expression of the case, with the parameters %(case)s (its id) and %(request)s (the request it
    # was opened from, or NULL). Answered for the shown panels in one statement; read from `view.answers`.
    asks: Mapping[str, str] = field(default_factory=dict)


_case_panels: dict[str, CasePanel] = {}


def register_case_panel(panel: CasePanel) -> CasePanel:
    asked = {name for other in _case_panels.values() for name in other.asks}
    if panel.name not in _case_panels and (clash := asked & set(panel.asks)):
        raise ImproperlyConfigured(f"Case panel {panel.name!r}: question names already taken: {sorted(clash)}.")
    return _register(_case_panels, panel, "case", lambda panel: panel.forms)


def case_panels() -> list[CasePanel]:
    return _in_order(_case_panels)


def answer_case_questions(case: Case, panels: list[CasePanel]) -> dict[str, Any]:
    """Every question of `panels` about `case`, answered in one statement (none when none asks)."""
    names = [name for panel in panels for name in panel.asks]
    if not names:
        return {}
    # The expressions are the panels' own constant SQL; the only values are the two ids, passed as parameters.
    expressions = ", ".join(f"({sql})" for panel in panels for sql in panel.asks.values())
    fields = Case._meta
    parameters = {
        "case": fields.get_field("id").get_db_prep_value(case.pk, connection),
        "request": fields.get_field("request").get_db_prep_value(case.request_id, connection),
    }
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {expressions}", parameters)
        return dict(zip(names, cursor.fetchone(), strict=True))


def compose_case_panels(view: CaseView, bound: Mapping[str, forms.Form]) -> dict[str, Any]:
    """The shown panels' context and forms (the one in `bound`, as typed; the others fresh), and the panels."""
    shown = [panel for panel in case_panels() if panel.shown(view)]
    view = replace(view, answers=answer_case_questions(view.case, shown))
    context: dict[str, Any] = {"panels": shown}
    for panel in shown:
        context |= panel.context(view)
        context |= {name: bound.get(name) or make(view.case) for name, make in panel.forms.items()}
    return context


# --- the person page ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonView:
    """What a person panel builds from: one person of a case, opened for a member of its team."""

    member: User
    page: PersonPage  # the case, the person, their working notes (decrypted), who holds each compartment


PersonFormFactory = Callable[[PersonView], forms.Form]


@dataclass(frozen=True)
class PersonPanel:
    name: str  # the section's id on the page
    order: int  # lower first
    template: str
    context: Callable[[PersonView], dict[str, Any]] = _nothing
    forms: Mapping[str, PersonFormFactory] = field(default_factory=dict)
    shown: Callable[[PersonView], bool] = _always


_person_panels: dict[str, PersonPanel] = {}


def register_person_panel(panel: PersonPanel) -> PersonPanel:
    return _register(_person_panels, panel, "person", lambda panel: panel.forms)


def person_panels() -> list[PersonPanel]:
    return _in_order(_person_panels)


def compose_person_panels(view: PersonView, bound: Mapping[str, forms.Form]) -> dict[str, Any]:
    """As `compose_case_panels`, for the person page."""
    shown = [panel for panel in person_panels() if panel.shown(view)]
    context: dict[str, Any] = {"person_panels": shown}
    for panel in shown:
        context |= panel.context(view)
        context |= {name: bound.get(name) or make(view) for name, make in panel.forms.items()}
    return context


# --- the home page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeView:
    """What a home panel builds from: the member, their keyring (for the few titles a panel's
    read function decrypts, never used by the panel itself) and today."""

    member: User
    keyring: Keyring
    today: datetime.date


def _every_member(_member: User) -> bool:
    return True


@dataclass(frozen=True)
class HomePanel:
    name: str  # the card's id on the page
    order: int  # lower first
    template: str
    # What the card shows now, or None when nothing is there for this member: the card is left out.
    context: Callable[[HomeView], dict[str, Any] | None]
    # Who the card is for (roles); asked before `context`, so that nobody else pays its queries.
    shown: Callable[[User], bool] = _every_member
    # Whether a shown card means something waits for the member ("Nothing needs you right now" otherwise).
    waits: bool = True
    # A card that shows the same whatever the organisation holds (links, no data): a duress session's
    # empty home shows it too, as a real empty account's does (refuge/workspace/duress.py).
    static: bool = False


_home_panels: dict[str, HomePanel] = {}


def register_home_panel(panel: HomePanel) -> HomePanel:
    return _register(_home_panels, panel, "home", lambda panel: {})


def home_panels() -> list[HomePanel]:
    return _in_order(_home_panels)


def compose_home_panels(view: HomeView, *, duress: bool = False) -> dict[str, Any]:
    """The cards with something to show, their context, and whether any of them waits for the member.

    Under duress only the static cards are asked: nothing of the organisation is read."""
    context: dict[str, Any] = {}
    shown: list[HomePanel] = []
    for panel in home_panels():
        if not panel.shown(view.member) or (duress and not panel.static):
            continue
        if (panel_context := panel.context(view)) is None:
            continue
        shown.append(panel)
        context |= panel_context
    return context | {"home_panels": shown, "waiting": any(panel.waits for panel in shown)}
