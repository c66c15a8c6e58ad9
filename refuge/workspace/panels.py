"""The case page's panels: each section of the page is registered here by the app that owns it.

A panel is a name (the section's anchor, `#notes`), an order on the page, a title (its section
link), a template, a function that builds its context from the opened case (`CaseView`: what
`open_case_page` decrypted, the member), the forms it shows (the one that failed is kept as
typed by `render_case`), and optionally when it is shown. `render_case` composes the panels
in order and lists them as section links at the top of the page.

Panels are registered once, at startup, from `AppConfig.ready()` (workspace's `apps.py` imports
each panels module); a second panel or form under a name already taken is a startup error.
Panel contexts are merged into one page context, so a panel's keys are its own: prefix them
with the panel's name when in doubt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise

from refuge.accounts.models import User
from refuge.cases.models import Case
from refuge.cases.reads import CaseContent, Conversation
from refuge.intake.reads import RequestPage


@dataclass(frozen=True)
class CaseView:
    """What a panel builds from: the case opened for a member of its team, its content decrypted."""

    member: User
    case: Case
    content: CaseContent
    conversation: Conversation | None
    # Requests attached to the case later, decrypted by open_case_page (refuge/cases/attach.py).
    attached: list[RequestPage] = field(default_factory=list)


FormFactory = Callable[[Case], forms.Form]


def _always(_view: CaseView) -> bool:
    return True


def _nothing(_view: CaseView) -> dict[str, Any]:
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


_case_panels: dict[str, CasePanel] = {}


def register_case_panel(panel: CasePanel) -> CasePanel:
    if panel.name in _case_panels:
        raise ImproperlyConfigured(f"A case panel named {panel.name!r} is already registered.")
    taken = {name for other in _case_panels.values() for name in other.forms}
    if clash := taken & set(panel.forms):
        raise ImproperlyConfigured(f"Case panel {panel.name!r}: form names already taken: {sorted(clash)}.")
    _case_panels[panel.name] = panel
    return panel


def case_panels() -> list[CasePanel]:
    return sorted(_case_panels.values(), key=lambda panel: (panel.order, panel.name))


def compose_case_panels(view: CaseView, bound: Mapping[str, forms.Form]) -> dict[str, Any]:
    """The shown panels' context and forms (the one in `bound`, as typed; the others fresh), and the panels."""
    shown = [panel for panel in case_panels() if panel.shown(view)]
    context: dict[str, Any] = {"panels": shown}
    for panel in shown:
        context |= panel.context(view)
        context |= {name: bound.get(name) or make(view.case) for name, make in panel.forms.items()}
    return context
