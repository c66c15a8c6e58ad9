"""The cases app's panels (refuge/workspace/panels.py): the sections of the case page in page
order, the person page's working notes and compartments, and the home page's cards about cases.

Each panel names the template it renders, the context it builds from what a read function
opened and the forms it shows; its acts are views in the module of its resource (views/notes.py for
the notes panel, ...) that post to its forms. A new capability adds its own module like this one and imports it in
`WorkspaceConfig.ready()`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.cases import home as today
from refuge.cases.access import CASE_ROLES
from refuge.cases.queries import Shown
from refuge.cases.stages import allowed_by_hand
from refuge.workspace.forms_conversation import MessageForm
from refuge.workspace.forms_documents import DocumentForm
from refuge.workspace.forms_expenses import ExpenseForm
from refuge.workspace.forms_notes import NoteForm
from refuge.workspace.forms_stages import StageForm
from refuge.workspace.forms_tasks import TaskForm
from refuge.workspace.forms_team import TeamAddForm
from refuge.workspace.panels import (
    CasePanel,
    CaseView,
    HomePanel,
    HomeView,
    PersonPanel,
    register_case_panel,
    register_home_panel,
    register_person_panel,
)
from refuge.workspace.views.case_timeline import TimelineRow, sentence
from refuge.workspace.views.cases import summary_shown
from refuge.workspace.views.expenses import spending
from refuge.workspace.views.team import team_candidates, team_users


def _summary(view: CaseView) -> dict[str, Any]:
    return {"summary": summary_shown(view.content.summary, view.case)}


def _task_order(shown: Shown) -> tuple[datetime.date, datetime.date]:
    # Undated tasks after dated ones, whatever the database does with NULLs.
    return (shown.row.due_on or datetime.date.max, shown.row.created_on)


def _tasks(view: CaseView) -> dict[str, Any]:
    tasks = view.content.tasks
    return {
        "open_tasks": sorted((t for t in tasks if t.row.done_on is None), key=_task_order),
        "done_tasks": [t for t in tasks if t.row.done_on is not None],
    }


def _notes(view: CaseView) -> dict[str, Any]:
    return {"notes": view.content.notes}


def _conversation(view: CaseView) -> dict[str, Any]:
    conversation = view.conversation
    if conversation is None:
        return {}
    if conversation.locked:
        return {"conversation_locked": True}
    if conversation.unreadable:
        return {"conversation_unreadable": True}
    return {"conversation": conversation.messages}


def _documents(view: CaseView) -> dict[str, Any]:
    # Every file the requester sent, with the request form or in a later message, is the case's too.
    conversation = view.conversation
    documents: dict[str, Any] = {"documents": view.content.documents}
    if conversation is None or conversation.unreadable:
        return documents
    if conversation.locked:
        return documents | {"conversation_locked": True}
    return documents | {"requester_files": conversation.files}


def _expenses(view: CaseView) -> dict[str, Any]:
    return {"expenses": view.content.expenses, "spending": spending(view.case, view.content.expenses)}


def _timeline(view: CaseView) -> dict[str, Any]:
    return {"events": [TimelineRow(shown.row, sentence(shown, view.case)) for shown in view.content.events]}


def _from_a_request(view: CaseView) -> bool:
    return view.case.request_id is not None


PANELS = (
    CasePanel(
        "stage",
        10,
        _("Stage"),
        "workspace/cases/_stage.html",
        forms={
            "stage_form": lambda case: StageForm(
                prefix="stage",
                initial={"version": case.version},
                current=case.stage,
                allowed=allowed_by_hand(case.stage),
            )
        },
    ),
    CasePanel("summary", 20, _("Summary"), "workspace/cases/_summary_panel.html", context=_summary),
    # The people's context (`people`) is the case metadata's: a coordinator outside the team sees it too.
    CasePanel("people", 30, _("People"), "workspace/cases/_people.html"),
    CasePanel(
        "tasks",
        40,
        _("Tasks"),
        "workspace/cases/_tasks.html",
        context=_tasks,
        forms={"task_form": lambda case: TaskForm(prefix="task", team=team_users(case))},
    ),
    CasePanel(
        "notes",
        50,
        _("Notes"),
        "workspace/cases/_notes.html",
        context=_notes,
        forms={"note_form": lambda case: NoteForm(prefix="note")},
    ),
    CasePanel(
        "conversation",
        60,
        _("Conversation with the requester"),
        "workspace/cases/_conversation.html",
        context=_conversation,
        forms={"message_form": lambda case: MessageForm(prefix="message")},
        shown=_from_a_request,
    ),
    CasePanel(
        "documents",
        70,
        _("Documents"),
        "workspace/cases/_documents.html",
        context=_documents,
        forms={"document_form": lambda case: DocumentForm(prefix="document")},
    ),
    CasePanel(
        "expenses",
        80,
        _("Expenses"),
        "workspace/cases/_expenses.html",
        context=_expenses,
        forms={
            "expense_form": lambda case: ExpenseForm(
                prefix="expense", initial={"spent_on": timezone.localdate(), "currency": case.currency}
            )
        },
    ),
    # The team's context (`team`) is the case metadata's.
    CasePanel(
        "team",
        90,
        _("Team"),
        "workspace/cases/_team.html",
        forms={"team_form": lambda case: TeamAddForm(prefix="team", candidates=team_candidates(case))},
    ),
    CasePanel("timeline", 100, _("Timeline"), "workspace/cases/_timeline.html", context=_timeline),
)


# --- the person page ----------------------------------------------------------------------------


PERSON_PANELS = (
    PersonPanel("notes", 10, "workspace/people/_notes.html", context=lambda view: {"details": view.page.details}),
    # Who holds each compartment, never what it says: each opens on its own page, for its holders.
    PersonPanel(
        "compartments",
        20,
        "workspace/people/_compartments.html",
        context=lambda view: {"compartments": view.page.compartments},
    ),
)


# --- the home page: what needs me today ---------------------------------------------------------


def _whole_organisation(view: HomeView) -> dict[str, Any]:
    return {"today": view.today, "whole_organisation": today.sees_whole_organisation(view.member)}


def _emergencies(view: HomeView) -> dict[str, Any] | None:
    cases = today.emergency_cases(view.member)
    return _whole_organisation(view) | {"emergencies": cases} if cases else None


def _lost_contact(view: HomeView) -> dict[str, Any] | None:
    cases = today.lost_contact_cases(view.member)
    return {"lost_contact": cases} if cases else None


def _my_tasks(view: HomeView) -> dict[str, Any] | None:
    # Only the titles of the tasks shown are decrypted, by the cases app (refuge/cases/home.py).
    tasks = today.task_titles(today.my_tasks(view.member, view.today), view.keyring)
    return {"today": view.today, "tasks": tasks} if tasks else None


def _appointments(view: HomeView) -> dict[str, Any] | None:
    appointments = today.task_titles(today.upcoming_appointments(view.member, view.today), view.keyring)
    return {"appointments": appointments} if appointments else None


def _awaiting_reply(view: HomeView) -> dict[str, Any] | None:
    cases = today.awaiting_reply_cases(view.member)
    requests = today.requests_awaiting_reply(view.member)
    return {"awaiting_reply": cases, "requests_awaiting": requests} if cases or requests else None


def _works_on_cases(member: User) -> bool:
    return member.role in CASE_ROLES


HOME_PANELS = (
    HomePanel("emergencies", 50, "workspace/cases/_home_emergencies.html", _emergencies, shown=_works_on_cases),
    HomePanel("lost-contact", 60, "workspace/cases/_home_lost_contact.html", _lost_contact, shown=_works_on_cases),
    HomePanel("tasks", 70, "workspace/cases/_home_tasks.html", _my_tasks, shown=_works_on_cases),
    HomePanel("appointments", 80, "workspace/cases/_home_appointments.html", _appointments, shown=_works_on_cases),
    HomePanel(
        "awaiting-reply", 90, "workspace/cases/_home_awaiting_reply.html", _awaiting_reply, shown=_works_on_cases
    ),
)


def register() -> None:
    for panel in PANELS:
        register_case_panel(panel)
    for person_panel in PERSON_PANELS:
        register_person_panel(person_panel)
    for home_panel in HOME_PANELS:
        register_home_panel(home_panel)
