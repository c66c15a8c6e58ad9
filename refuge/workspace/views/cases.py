"""Cases in the workspace: the list, one case, and the acts of the page itself.

The case page is composed of panels (views/case_panels.py); each panel's acts are in the
module of its resource (stages.py, team.py, notes.py, tasks.py, expenses.py, documents.py,
conversation.py), each posting through `act_on_case`; the edit page is case_edit.py.

Who sees what is `access_case`'s decision (refuge/cases/access.py): members of a
case's team read its content; a coordinator who is not on the team sees its metadata
only; everyone else — other teams, auditors, administrators, other organisations —
gets the same 404 as for a case that does not exist. The list decrypts nothing;
every page that decrypts writes a CASE_READ audit entry first.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases.access import CASE_ROLES, access_case
from refuge.cases.actions.details import do_set_lost_contact
from refuge.cases.actions.team import do_rotate_pending_keys
from refuge.cases.models import Case, TeamMember
from refuge.cases.queries import (
    CaseFilters,
    case_list,
    is_a_members_list,
    page_of_cases,
    people_of_page,
    rotation_due,
)
from refuge.cases.reads import open_case_page
from refuge.relocation.models import Pathway
from refuge.relocation.queries import pathways_of
from refuge.shelter.access import visible_shelters
from refuge.workspace.decorators import CONFLICT, LOCKED, UNREADABLE, Refusal, StaffRequest, staff_view
from refuge.workspace.forms_cases import (
    CaseFilterForm,
    LostContactForm,
)
from refuge.workspace.panels import CaseView, compose_case_panels
from refuge.workspace.submit import submit
from refuge.workspace.views.intake import AnswerRow, answer_rows

log = logging.getLogger(__name__)

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def case_url(case: Case, anchor: str = "") -> str:
    return case_url_of(case.pk, anchor)


def case_url_of(case_id: uuid.UUID, anchor: str = "") -> str:
    return reverse("workspace:case_detail", args=[case_id]) + (f"#{anchor}" if anchor else "")


def case_post(view: View) -> View:
    """A POST-only act on a case: logged in with keys unlocked, and what was typed kept out of error reports.

    What the act could not do is shown on the case page (`case_page`)."""
    return require_POST(staff_view(page=case_page)(sensitive_post_parameters()(view)))


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    """One line of the case list, its words worked out here: a page of 50 rows through the
    template's tags cost 25 ms at 100,000 cases (BENCHMARKS.md), strings cost almost nothing."""

    case: Case
    url: str
    people: str
    team: list[tuple[str, bool]]  # (username, lead)
    overdue: bool
    pathway: str


@staff_view()
def case_list_view(request: StaffRequest) -> HttpResponse:
    user = request.member
    if user.role not in CASE_ROLES:
        raise Http404
    form = CaseFilterForm(
        request.GET, members=_filter_members(user), shelters=visible_shelters(user), pathways=_pathways(user)
    )
    today = timezone.localdate()
    context: dict[str, Any] = {"form": form, "today": today}
    # Invalid filters, or a search that cannot be made now, are said next to their box.
    # The member's keyring confirms identity matches of the search (blind indexes collide).
    found = submit(form, lambda data: (_filters(data), case_list(user, _filters(data), today, request.keyring)))
    if found is None:
        return render(request, "workspace/cases/list.html", {**context, "invalid": True}, status=400)
    filters, cases = found.value
    page, shown = page_of_cases(cases, PAGE_SIZE, request.GET.get("page"), bounded=is_a_members_list(user, filters))
    people = people_of_page(shown)
    teams = _teams_of_page(shown)
    # reverse() once, for the nil UUID (never a case's id): every case's address differs only by its id.
    url_pattern = reverse("workspace:case_detail", args=[uuid.UUID(int=0)])
    rows = [
        CaseRow(
            case=case,
            url=url_pattern.replace(str(uuid.UUID(int=0)), str(case.pk)),
            people=", ".join(person.pseudonym for person in people[case.pk]),
            team=[(row.user.username, row.lead) for row in teams[case.pk]],
            overdue=case.is_open and case.due_on < today,
            pathway=f"{case.pathway.country}: {case.pathway.short_name}" if case.pathway else "",
        )
        for case in shown
    ]
    return render(request, "workspace/cases/list.html", {**context, "page": page, "rows": rows})


def _filters(data: dict[str, Any]) -> CaseFilters:
    return CaseFilters(
        stage=data["stage"],
        priority=data["priority"],
        member=data["member"].pk if data["member"] else None,
        shelter=data["shelter"].pk if data["shelter"] else None,
        pathway=data["pathway"].pk if data["pathway"] else None,
        opened_from=data["opened_from"],
        opened_to=data["opened_to"],
        overdue=data["overdue"],
        lost_contact=data["lost_contact"],
        mine=data["mine"],
        q=data["q"].strip(),
    )


def _filter_members(user: User) -> QuerySet[User]:
    """Members to filter by: everyone of the organisation who works on cases.

    Not only those the user shares a team with: the filter narrows the cases the user may
    see anyway, the team forms show the same names, and finding "shares a team with me"
    meant a DISTINCT over every team of every case of theirs (20 ms at 3,000 cases).
    """
    members = User.objects.filter(organisation_id=user.organisation_id, role__in=CASE_ROLES)
    return members.only("id", "username", "role").order_by("username")


def _pathways(user: User) -> QuerySet[Pathway]:
    """The catalogue the member's organisation sees (a few dozen rows): retired pathways still name older cases."""
    return pathways_of(user.organisation_id, active_only=False).order_by("country", "name")


def _teams_of_page(cases: list[Case]) -> dict[Any, list[TeamMember]]:
    teams: dict[Any, list[TeamMember]] = {case.pk: [] for case in cases}
    members = TeamMember.objects.filter(case__in=cases).select_related("user").only("case_id", "lead", "user__username")
    for row in members.order_by("-lead", "user__username"):
        teams[row.case_id].append(row)
    return teams


# --- one case: what everyone who may see it sees ------------------------------------------------


def case_metadata(case: Case) -> dict[str, Any]:
    """What a coordinator outside the team may see too: nothing here is decrypted."""
    today = timezone.localdate()
    team = list(TeamMember.objects.filter(case=case).select_related("user").order_by("-lead", "user__username"))
    return {
        "case": case,
        "people": people_of_page([case])[case.pk],
        "team": team,
        "today": today,
        "overdue": case.is_open and case.due_on < today,
    }


@staff_view()
def case_detail_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    return render_case(request, case_id)


def render_case(request: StaffRequest, case_id: uuid.UUID, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The case page: decrypted for a team member (audited), with any failed form kept as typed."""
    page = open_case_page(request.member, request.keyring, case_id)
    case = page.case
    if not page.team_member:
        return render(request, "workspace/cases/metadata.html", case_metadata(case))
    context = case_metadata(case) | {"rotation_due": rotation_due(case)}
    if page.content is None:
        flags = {"locked": page.locked, "unreadable": page.unreadable}
        return render(request, "workspace/cases/detail.html", context | flags, status=status)
    # Each section is a panel (views/case_panels.py); the page-wide forms are made here.
    view = CaseView(request.member, case, page.content, page.conversation, page.attached)
    context |= compose_case_panels(view, extra)
    context |= {name: extra.get(name) or make() for name, make in _page_forms().items()}
    context |= extra  # the failed form as typed, and what the act had to say (failed, conflict)
    return render(request, "workspace/cases/detail.html", context, status=status)


def case_page(request: StaffRequest, refusal: Refusal, case_id: uuid.UUID, **_rest: Any) -> HttpResponse:
    """The boundary's page for an act on a case: the case as it is now, saying why nothing changed."""
    if refusal.code == CONFLICT:
        # Someone saved first: show the case as it is now, with fresh forms, and say so.
        return render_case(request, case_id, status=refusal.status, conflict=refusal.message)
    if refusal.code in {LOCKED, UNREADABLE}:
        # Nothing was written; the page says why (a key not held, or altered data).
        return render_case(request, case_id, status=refusal.status)
    messages.error(request, refusal.message)
    return redirect(case_url_of(case_id))


@dataclass(frozen=True)
class Summary:
    text: str = ""
    answers: tuple[AnswerRow, ...] = ()


def summary_shown(value: Any, case: Case) -> Summary:
    """The request's answers as labelled rows, or the team's own text."""
    if isinstance(value, dict):
        if case.request is not None:
            return Summary(answers=tuple(answer_rows(value, case.request)))
        return Summary(text=json.dumps(value, ensure_ascii=False, indent=2))
    return Summary(text=value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def _page_forms() -> dict[str, Callable[[], forms.Form]]:
    """The forms of the page rather than of a panel: the lost-contact alarm and the page's own errors."""
    return {
        "contact_form": lambda: LostContactForm(prefix="contact"),
        "action_form": lambda: forms.Form(prefix="action"),
    }


# --- acting on a case: each panel's acts are in the module of its resource --------------------

Act = Callable[[User, Case, dict[str, Any]], Any]
Build = Callable[[Case], forms.Form]


def act_on_case(
    request: StaffRequest, case_id: uuid.UUID, form_name: str, build: Build, act: Act, done: str | None, anchor: str
) -> HttpResponse:
    """Validate one form of the case page, run its action, or show the page again with the errors.

    A key the member lacks, altered data and a conflict are shown by `case_page` (the boundary)."""
    user = request.member
    case = access_case(user, case_id).case
    form = build(case)
    if submit(form, lambda data: act(user, case, data)) is not None:
        if done:
            messages.success(request, done)
        return redirect(case_url(case, anchor))
    # Forms further down the page get a note at the top that links to their errors.
    failed = "" if form_name in {"action_form", "contact_form"} else anchor
    return render_case(request, case.pk, status=400, failed=failed, **{form_name: form})


# --- the page's own acts: the lost-contact alarm and rotating keys ------------------------------


@case_post
def case_lost_contact_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    raising = request.POST.get("contact-lost") == "yes"

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        do_set_lost_contact(actor=user, keyring=request.keyring, case=case, lost=data["lost"])

    if raising:
        done = _(
            "The lost-contact alarm is raised. Follow the escalation plan: try every safe channel, then the lawyer."
        )
    else:
        done = _("The lost-contact alarm is cleared.")
    build: Build = lambda case: LostContactForm(request.POST, prefix="contact")  # noqa: E731
    return act_on_case(request, case_id, "contact_form", build, act, done, "top")


@case_post
def case_rotate_view(request: StaffRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        rotated = do_rotate_pending_keys(actor=user, keyring=request.keyring, case=case)
        if rotated:
            messages.info(
                request,
                ngettext("%(count)d key was rotated.", "%(count)d keys were rotated.", rotated) % {"count": rotated},
            )
        else:
            messages.warning(
                request,
                _("No key could be rotated by you: the keys still waiting are held by other members of the team."),
            )

    build: Build = lambda case: forms.Form(request.POST, prefix="action")  # noqa: E731
    return act_on_case(request, case_id, "action_form", build, act, None, "top")
