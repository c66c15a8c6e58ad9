"""Cases in the workspace: the list, one case, and every act on it.

Who sees what is `access_case`'s decision (refuge/cases/access.py): members of a
case's team read its content; a coordinator who is not on the team sees its metadata
only; everyone else — other teams, auditors, administrators, other organisations —
gets the same 404 as for a case that does not exist. The list decrypts nothing;
every page that decrypts writes a CASE_READ audit entry first.
"""

from __future__ import annotations

import datetime
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from refuge.accounts.models import User
from refuge.cases import actions
from refuge.cases.access import CASE_ROLES, access_case
from refuge.cases.models import (
    Case,
    CaseDocument,
    ClosingReason,
    Compartment,
    CompartmentKind,
    EventKind,
    ExpenseCategory,
    PersonRole,
    Priority,
    Stage,
    Task,
    TeamMember,
)
from refuge.cases.queries import (
    CaseFilters,
    Shown,
    case_list,
    compartments_held_only_by,
    is_a_members_list,
    page_of_cases,
    people_of_page,
    read_document_content,
    read_document_names,
    read_events,
    read_expenses,
    read_notes,
    read_summary,
    read_tasks,
)
from refuge.cases.stages import allowed_next
from refuge.core.errors import UserError
from refuge.core.forms import add_user_error
from refuge.crypto import CryptoError
from refuge.intake.models import RequestFile
from refuge.intake.queries import read_file_content, read_messages
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.models import Key
from refuge.relocation.models import Pathway
from refuge.requester.upload_handler import memory_uploads
from refuge.shelter.access import visible_shelters
from refuge.workspace.decorators import member, staff_view
from refuge.workspace.forms_cases import (
    CaseEditForm,
    CaseFilterForm,
    DocumentForm,
    ExpenseForm,
    LostContactForm,
    MessageForm,
    NoteForm,
    StageForm,
    TaskForm,
    TeamAddForm,
)
from refuge.workspace.views.intake import FILE_TYPES, AnswerRow, _answer_rows

log = logging.getLogger(__name__)

PAGE_SIZE = 50
View = Callable[..., HttpResponse]


def _keyring(request: HttpRequest) -> Keyring:
    return cast(Keyring, request.keyring)  # type: ignore[attr-defined]


def _case_url(case: Case, anchor: str = "") -> str:
    return reverse("workspace:case_detail", args=[case.pk]) + (f"#{anchor}" if anchor else "")


def case_post(view: View) -> View:
    """A POST-only act on a case: logged in with keys unlocked, and what was typed kept out of error reports."""
    return require_POST(staff_view()(sensitive_post_parameters()(view)))


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
def case_list_view(request: HttpRequest) -> HttpResponse:
    user = member(request)
    if user.role not in CASE_ROLES:
        raise Http404
    form = CaseFilterForm(
        request.GET, members=_filter_members(user), shelters=visible_shelters(user), pathways=_pathways()
    )
    today = timezone.localdate()
    context: dict[str, Any] = {"form": form, "today": today}
    if not form.is_valid():
        return render(request, "workspace/cases/list.html", {**context, "invalid": True}, status=400)
    filters = _filters(form.cleaned_data)
    try:
        cases = case_list(user, filters, today)
    except KeyNotHeld:
        # A blind-index key without its server wrap: search by identity is unavailable,
        # which is said next to the box rather than failing the page.
        form.add_error("q", _("Searching by name, phone or document number is not available right now."))
        return render(request, "workspace/cases/list.html", {**context, "invalid": True}, status=400)
    page, shown = page_of_cases(cases, PAGE_SIZE, request.GET.get("page"), bounded=is_a_members_list(user, filters))
    people = people_of_page(shown)
    teams = _teams_of_page(shown)
    # reverse() once: every case's address differs only by its id.
    url_pattern = reverse("workspace:case_detail", args=[_URL_SLOT])
    rows = [
        CaseRow(
            case=case,
            url=url_pattern.replace(str(_URL_SLOT), str(case.pk)),
            people=", ".join(person.pseudonym for person in people[case.pk]),
            team=[(row.user.username, row.lead) for row in teams[case.pk]],
            overdue=case.is_open and case.due_on < today,
            pathway=f"{case.pathway.country}: {case.pathway.short_name}" if case.pathway else "",
        )
        for case in shown
    ]
    return render(request, "workspace/cases/list.html", {**context, "page": page, "rows": rows})


# A placeholder id for building case addresses without a reverse() per row.
_URL_SLOT = uuid.UUID(int=0)


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


def _pathways() -> QuerySet[Pathway]:
    """The whole catalogue (a few dozen public rows): retired pathways still name older cases."""
    return Pathway.objects.order_by("country", "name")


def _teams_of_page(cases: list[Case]) -> dict[Any, list[TeamMember]]:
    teams: dict[Any, list[TeamMember]] = {case.pk: [] for case in cases}
    members = TeamMember.objects.filter(case__in=cases).select_related("user").only("case_id", "lead", "user__username")
    for row in members.order_by("-lead", "user__username"):
        teams[row.case_id].append(row)
    return teams


# --- one case: what everyone who may see it sees ------------------------------------------------


def _metadata(case: Case) -> dict[str, Any]:
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
def case_detail_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    access = access_case(member(request), case_id, content=False)
    if not access.member:
        return render(request, "workspace/cases/metadata.html", _metadata(access.case))
    return _render_case(request, access.case)


def _render_case(request: HttpRequest, case: Case, *, status: int = 200, **extra: Any) -> HttpResponse:
    """The case decrypted for a team member (audited), with any failed form kept as typed."""
    user = member(request)
    context = _metadata(case) | {"rotation_due": _rotation_due(case)}
    try:
        secret = _keyring(request).secret_for(case.key)
        actions.do_record_case_read(actor=user, case=case)
        context |= _content(case, secret)
    except KeyNotHeld:
        return render(request, "workspace/cases/detail.html", {**context, "locked": True}, status=status)
    except CryptoError:
        # Stored data that does not open with its key was altered: show none of it.
        log.error("case %s did not decrypt; it may have been tampered with", case.pk)
        return render(request, "workspace/cases/detail.html", {**context, "unreadable": True}, status=status)
    context |= _conversation(request, case)
    context |= _forms(case, extra)
    return render(request, "workspace/cases/detail.html", context, status=status)


def _content(case: Case, secret: bytes) -> dict[str, Any]:
    tasks = read_tasks(case, secret)
    expenses = read_expenses(case, secret)
    return {
        "summary": _summary(read_summary(case, secret), case),
        "notes": read_notes(case, secret),
        "open_tasks": sorted((t for t in tasks if t.row.done_on is None), key=_task_order),
        "done_tasks": [t for t in tasks if t.row.done_on is not None],
        "events": [TimelineRow(shown.row, _sentence(shown, case)) for shown in read_events(case, secret)],
        "expenses": expenses,
        "spending": _spending(case, expenses),
        "documents": read_document_names(case, secret),
    }


@dataclass(frozen=True)
class Summary:
    text: str = ""
    answers: tuple[AnswerRow, ...] = ()


def _summary(value: Any, case: Case) -> Summary:
    """The request's answers as labelled rows, or the team's own text."""
    if isinstance(value, dict):
        if case.request is not None:
            return Summary(answers=tuple(_answer_rows(value, case.request)))
        return Summary(text=json.dumps(value, ensure_ascii=False, indent=2))
    return Summary(text=value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def _task_order(shown: Shown) -> tuple[datetime.date, datetime.date]:
    # Undated tasks after dated ones, whatever the database does with NULLs.
    return (shown.row.due_on or datetime.date.max, shown.row.created_on)


@dataclass(frozen=True)
class Spending:
    by_category: list[tuple[str, int]]
    total: int
    remaining: int | None  # budget minus total; negative when over budget
    over: int  # how much over budget, 0 if not


def _spending(case: Case, expenses: list[Shown]) -> Spending:
    totals: dict[str, int] = {}
    for shown in expenses:
        totals[shown.row.category] = totals.get(shown.row.category, 0) + shown.row.amount
    by_category = [(str(label), totals[value]) for value, label in ExpenseCategory.choices if value in totals]
    by_category += [(value, amount) for value, amount in totals.items() if value not in ExpenseCategory.values]
    total = sum(totals.values())
    remaining = None if case.budget is None else case.budget - total
    return Spending(by_category, total, remaining, -remaining if remaining is not None and remaining < 0 else 0)


def _rotation_due(case: Case) -> bool:
    """True if a key of the case (its own, the request's, a compartment's) waits to be rotated."""
    key_ids = [case.key_id] + ([case.request.key_id] if case.request is not None else [])
    compartments = Compartment.objects.filter(person__case=case).values("key_id")
    return Key.objects.filter(Q(pk__in=key_ids) | Q(pk__in=compartments), rotation_due=True).exists()


def _conversation(request: HttpRequest, case: Case) -> dict[str, Any]:
    if case.request is None:
        return {}
    try:
        secret = _keyring(request).secret_for(case.request.key)
        return {"conversation": read_messages(case.request, secret)}
    except KeyNotHeld:
        return {"conversation_locked": True}
    except CryptoError:
        log.error("the conversation of case %s did not decrypt; it may have been tampered with", case.pk)
        return {"conversation_unreadable": True}


def _team_users(case: Case) -> QuerySet[User]:
    return User.objects.filter(case_teams__case=case).order_by("username")


def _team_candidates(case: Case) -> QuerySet[User]:
    """Members who could join the team: same organisation, active, a case role, not on it yet."""
    return (
        User.objects.filter(organisation_id=case.organisation_id, is_active=True, role__in=CASE_ROLES)
        .exclude(case_teams__case=case)
        .order_by("username")
    )


def _edit_pathways(case: Case) -> QuerySet[Pathway]:
    return Pathway.objects.filter(Q(active=True) | Q(pk=case.pathway_id)).order_by("country", "name")


def _forms(case: Case, bound: dict[str, Any]) -> dict[str, Any]:
    """Every form of the case page: the one that failed as it was typed, the others fresh."""
    fresh: dict[str, Callable[[], forms.Form]] = {
        "stage_form": lambda: StageForm(
            prefix="stage", initial={"version": case.version}, allowed=allowed_next(case.stage)
        ),
        "contact_form": lambda: LostContactForm(prefix="contact"),
        "team_form": lambda: TeamAddForm(prefix="team", candidates=_team_candidates(case)),
        "task_form": lambda: TaskForm(prefix="task", team=_team_users(case)),
        "note_form": lambda: NoteForm(prefix="note"),
        "expense_form": lambda: ExpenseForm(prefix="expense", initial={"spent_on": timezone.localdate()}),
        "document_form": lambda: DocumentForm(prefix="document"),
        "message_form": lambda: MessageForm(prefix="message"),
        "action_form": lambda: forms.Form(prefix="action"),
    }
    made = {name: bound.get(name) or make() for name, make in fresh.items()}
    return made | {key: value for key, value in bound.items() if key not in fresh}


# --- the timeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineRow:
    event: Any
    text: str


def _label(choices: type[Any], value: Any) -> str:
    """A stored code's label in the reader's language; an unknown code as stored."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _sentence(shown: Shown, case: Case) -> str:
    """One timeline entry as a sentence in the reader's language."""
    try:
        detail = json.loads(shown.text)
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {}
    kind = shown.row.kind
    say = _SENTENCES.get(kind)
    text = say(detail, case) if say is not None else ""
    return text or _label(EventKind, kind)


def _text(detail: dict[str, Any], key: str) -> str:
    value = detail.get(key, "")
    return value if isinstance(value, str) else str(value)


def _opened(detail: dict[str, Any], case: Case) -> str:
    if _text(detail, "request"):
        return _("Case opened from request %(reference)s.") % {"reference": _text(detail, "request")}
    return _("Case opened.")


def _stage(detail: dict[str, Any], case: Case) -> str:
    new = _label(Stage, _text(detail, "to"))
    if _text(detail, "to") == Stage.CLOSED and _text(detail, "reason"):
        return _("Case closed: %(reason)s.") % {"reason": _label(ClosingReason, _text(detail, "reason"))}
    return _("Stage changed from %(old)s to %(new)s.") % {"old": _label(Stage, _text(detail, "from")), "new": new}


def _edited(detail: dict[str, Any], case: Case) -> str:
    parts = []
    priority = detail.get("priority")
    if isinstance(priority, list) and len(priority) == 2:
        parts.append(
            _("Priority changed from %(old)s to %(new)s; the due date moved with it.")
            % {"old": _label(Priority, priority[0]), "new": _label(Priority, priority[1])}
        )
    if "pathway" in detail:
        code = _text(detail, "pathway")
        pathway = Pathway.objects.filter(code=code).first() if code else None
        if code:
            parts.append(_("Pathway set to %(pathway)s.") % {"pathway": pathway.short_name if pathway else code})
        else:
            parts.append(_("Pathway removed."))
    budget = detail.get("budget")
    if isinstance(budget, list) and len(budget) == 2:
        if budget[0] is None:
            parts.append(_("Budget removed."))
        else:
            parts.append(_("Budget set to %(amount)s %(currency)s.") % {"amount": budget[0], "currency": budget[1]})
    return " ".join(parts) or _("The summary or other details were edited.")


def _who(detail: dict[str, Any], case: Case, text: str) -> str:
    return text % {"member": _text(detail, "member") or _("a former member")}


def _compartment(detail: dict[str, Any], case: Case, text: str) -> str:
    return text % {
        "kind": _label(CompartmentKind, _text(detail, "kind")),
        "pseudonym": _text(detail, "pseudonym"),
        "member": _text(detail, "member"),
    }


def _task(detail: dict[str, Any], case: Case) -> str:
    due = _text(detail, "due_on")
    if due:
        return _("Task added: “%(title)s”, due %(due)s.") % {"title": _text(detail, "title"), "due": due}
    return _("Task added: “%(title)s”.") % {"title": _text(detail, "title")}


def _expense(detail: dict[str, Any], case: Case) -> str:
    return _("Expense recorded: %(amount)s %(currency)s for %(category)s.") % {
        "amount": _text(detail, "amount"),
        "currency": case.currency,
        "category": _label(ExpenseCategory, _text(detail, "category")).lower(),
    }


def _rotated(detail: dict[str, Any], case: Case) -> str:
    count = detail.get("keys")
    if not isinstance(count, int):
        return ""
    return ngettext(
        "%(count)d key of the case was rotated: former holders can no longer open it.",
        "%(count)d keys of the case were rotated: former holders can no longer open them.",
        count,
    ) % {"count": count}


_SENTENCES: dict[str, Callable[[dict[str, Any], Case], str]] = {
    EventKind.OPENED: _opened,
    EventKind.STAGE: _stage,
    EventKind.PRIORITY: _edited,
    EventKind.EDITED: _edited,
    EventKind.TEAM_ADDED: lambda d, c: _who(d, c, _("%(member)s was added to the team.")),
    EventKind.TEAM_REMOVED: lambda d, c: _who(d, c, _("%(member)s was removed from the team.")),
    EventKind.LEAD_CHANGED: lambda d, c: _who(d, c, _("%(member)s leads the case now.")),
    EventKind.PERSON_ADDED: lambda d, c: (
        _("%(pseudonym)s was added to the case (%(role)s).")
        % {"pseudonym": _text(d, "pseudonym"), "role": _label(PersonRole, _text(d, "role")).lower()}
    ),
    EventKind.COMPARTMENT: lambda d, c: _compartment(d, c, _("“%(kind)s” of %(pseudonym)s was changed.")),
    EventKind.COMPARTMENT_SHARED: lambda d, c: _compartment(
        d, c, _("“%(kind)s” of %(pseudonym)s was shared with %(member)s.")
    ),
    EventKind.COMPARTMENT_UNSHARED: lambda d, c: _compartment(
        d, c, _("“%(kind)s” of %(pseudonym)s was taken back from %(member)s; its key was rotated.")
    ),
    EventKind.NOTE: lambda d, c: _("A note was added."),
    EventKind.TASK: _task,
    EventKind.TASK_DONE: lambda d, c: _("A task was marked done."),
    EventKind.EXPENSE: _expense,
    EventKind.MESSAGE: lambda d, c: _("A message was sent to the requester."),
    EventKind.DOCUMENT: lambda d, c: _("A document was added."),
    EventKind.PLACED: lambda d, c: (
        _("%(pseudonym)s was placed in the shelter %(shelter)s.")
        % {"pseudonym": _text(d, "pseudonym"), "shelter": _text(d, "shelter")}
    ),
    EventKind.PLACEMENT_ENDED: lambda d, c: (
        _("%(pseudonym)s left their shelter.") % {"pseudonym": _text(d, "pseudonym")}
    ),
    EventKind.LOST_CONTACT: lambda d, c: _("The lost-contact alarm was raised."),
    EventKind.CONTACT_BACK: lambda d, c: _("Contact was restored; the alarm was cleared."),
    EventKind.KEYS_ROTATED: _rotated,
}


# --- acting on a case ----------------------------------------------------------------------------

Act = Callable[[User, Case, dict[str, Any]], Any]
Build = Callable[[Case], forms.Form]


def _act(
    request: HttpRequest, case_id: uuid.UUID, form_name: str, build: Build, act: Act, done: str | None, anchor: str
) -> HttpResponse:
    """Validate one form of the case page, run its action, or show the page again with the errors."""
    user = member(request)
    case = access_case(user, case_id).case
    form = build(case)
    if form.is_valid():
        try:
            act(user, case, form.cleaned_data)
        except UserError as error:
            if error.code == "conflict":
                return _conflict(request, case_id, error)
            add_user_error(form, error)
        except (KeyNotHeld, CryptoError):
            # Nothing was written; the page says why (a key not held, or altered data).
            return _render_case(request, case, status=403)
        else:
            if done:
                messages.success(request, done)
            return redirect(_case_url(case, anchor))
    # Forms further down the page get a note at the top that links to their errors.
    failed = "" if form_name in {"action_form", "contact_form"} else anchor
    return _render_case(request, case, status=400, failed=failed, **{form_name: form})


def _conflict(request: HttpRequest, case_id: uuid.UUID, error: UserError) -> HttpResponse:
    """Someone saved first: show the case as it is now, with fresh forms, and say so."""
    case = access_case(member(request), case_id).case
    return _render_case(request, case, status=409, conflict=str(error.message))


@case_post
def case_stage_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return StageForm(request.POST, prefix="stage", allowed=allowed_next(case.stage))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_change_stage(
            actor=user,
            keyring=_keyring(request),
            case=case,
            stage=data["stage"],
            version=data["version"],
            closing_reason=data["closing_reason"],
        )

    return _act(request, case_id, "stage_form", build, act, _("The stage is changed."), "stage")


@case_post
def case_lost_contact_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    raising = request.POST.get("contact-lost") == "yes"

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_set_lost_contact(actor=user, keyring=_keyring(request), case=case, lost=data["lost"])

    if raising:
        done = _(
            "The lost-contact alarm is raised. Follow the escalation plan: try every safe channel, then the lawyer."
        )
    else:
        done = _("The lost-contact alarm is cleared.")
    build: Build = lambda case: LostContactForm(request.POST, prefix="contact")  # noqa: E731
    return _act(request, case_id, "contact_form", build, act, done, "top")


@case_post
def case_team_add_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return TeamAddForm(request.POST, prefix="team", candidates=_team_candidates(case))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_team_member(
            actor=user, keyring=_keyring(request), case=case, member=data["member"], lead=data["lead"]
        )

    return _act(request, case_id, "team_form", build, act, _("The case is shared with the new team member."), "team")


@case_post
def case_team_lead_view(request: HttpRequest, case_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """Make a member of the team its lead: one button per member on the team card, nothing typed."""
    user = member(request)
    case = access_case(user, case_id).case
    row = TeamMember.objects.filter(case=case, user_id=member_id).select_related("user").first()
    if row is None:
        raise Http404
    try:
        actions.do_set_lead(actor=user, keyring=_keyring(request), case=case, member=row.user)
    except UserError as error:
        messages.error(request, str(error.message))
    except (KeyNotHeld, CryptoError):
        return _render_case(request, case, status=403)
    else:
        messages.success(request, _("%(member)s leads the case now.") % {"member": row.user.username})
    return redirect(_case_url(case, "team"))


@case_post
def case_note_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_note(actor=user, keyring=_keyring(request), case=case, body=data["body"])

    build: Build = lambda case: NoteForm(request.POST, prefix="note")  # noqa: E731
    return _act(request, case_id, "note_form", build, act, _("The note is added."), "notes")


@case_post
def case_task_add_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def build(case: Case) -> forms.Form:
        return TaskForm(request.POST, prefix="task", team=_team_users(case))

    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_task(
            actor=user,
            keyring=_keyring(request),
            case=case,
            title=data["title"],
            due_on=data["due_on"],
            owner=data["owner"],
            kind=data["kind"],
        )

    return _act(request, case_id, "task_form", build, act, _("The task is added."), "tasks")


@case_post
def case_expense_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_expense(
            actor=user,
            keyring=_keyring(request),
            case=case,
            category=data["category"],
            amount=data["amount"],
            spent_on=data["spent_on"],
            note=data["note"],
        )

    build: Build = lambda case: ExpenseForm(request.POST, prefix="expense")  # noqa: E731
    return _act(request, case_id, "expense_form", build, act, _("The expense is recorded."), "expenses")


@case_post
def case_message_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_message_requester(actor=user, keyring=_keyring(request), case=case, body=data["body"])

    done = _("Your message is sent. The requester reads it the next time they open their request.")
    build: Build = lambda case: MessageForm(request.POST, prefix="message")  # noqa: E731
    return _act(request, case_id, "message_form", build, act, done, "conversation")


@require_POST
@staff_view()
@memory_uploads  # in memory only, bounded: a document never lands unencrypted in /tmp
@sensitive_post_parameters()
def case_document_upload_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        actions.do_add_document(actor=user, keyring=_keyring(request), case=case, upload=data["file"])

    build: Build = lambda case: DocumentForm(request.POST, request.FILES, prefix="document")  # noqa: E731
    done = _("The document is stored, encrypted, without its hidden metadata.")
    return _act(request, case_id, "document_form", build, act, done, "documents")


@case_post
def case_rotate_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        rotated = actions.do_rotate_pending_keys(actor=user, keyring=_keyring(request), case=case)
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
    return _act(request, case_id, "action_form", build, act, None, "top")


@case_post
def case_task_done_view(request: HttpRequest, case_id: uuid.UUID, task_id: uuid.UUID) -> HttpResponse:
    def act(user: User, case: Case, data: dict[str, Any]) -> None:
        task = Task.objects.filter(pk=task_id, case=case).first()
        if task is None:
            raise Http404
        task.case = case
        actions.do_complete_task(actor=user, keyring=_keyring(request), task=task)

    build: Build = lambda case: forms.Form(request.POST, prefix="action")  # noqa: E731
    return _act(request, case_id, "action_form", build, act, _("The task is marked done."), "tasks")


# --- editing the case's own fields ------------------------------------------------------------


@staff_view()
@sensitive_post_parameters()
def case_edit_view(request: HttpRequest, case_id: uuid.UUID) -> HttpResponse:
    user = member(request)
    case = access_case(user, case_id).case
    if request.method == "POST":
        return _save_edit(request, case)
    return _render_edit(request, case)


def _edit_initial(case: Case, summary: Any) -> dict[str, Any]:
    return {
        "version": case.version,
        "priority": case.priority,
        "pathway": case.pathway_id,
        "budget": case.budget,
        "currency": case.currency,
        "summary": "" if isinstance(summary, dict) else _summary(summary, case).text,
    }


def _render_edit(
    request: HttpRequest, case: Case, form: CaseEditForm | None = None, *, status: int = 200, **extra: Any
) -> HttpResponse:
    context: dict[str, Any] = {**_metadata(case), **extra}
    try:
        summary = _read_summary_audited(request, case)
    except KeyNotHeld:
        return render(request, "workspace/cases/edit.html", {**context, "locked": True}, status=status)
    except CryptoError:
        log.error("case %s did not decrypt; it may have been tampered with", case.pk)
        return render(request, "workspace/cases/edit.html", {**context, "unreadable": True}, status=status)
    structured = isinstance(summary, dict)
    if form is None:
        form = CaseEditForm(initial=_edit_initial(case, summary), pathways=_edit_pathways(case))
    form.explain_summary(structured=structured)
    context |= {"form": form, "summary": _summary(summary, case) if structured else None}
    return render(request, "workspace/cases/edit.html", context, status=status)


def _read_summary_audited(request: HttpRequest, case: Case) -> Any:
    secret = _keyring(request).secret_for(case.key)
    actions.do_record_case_read(actor=member(request), case=case)
    return read_summary(case, secret)


def _save_edit(request: HttpRequest, case: Case) -> HttpResponse:
    user, keyring = member(request), _keyring(request)
    form = CaseEditForm(request.POST, pathways=_edit_pathways(case))
    if not form.is_valid():
        return _render_edit(request, case, form, status=400)
    data = form.cleaned_data
    summary: str | None = data["summary"]
    try:
        if not (summary or "").strip() and isinstance(_read_summary_audited(request, case), dict):
            # Left empty while the summary is still the requester's answers: they stay as they are.
            summary = None
        actions.do_edit_case(
            actor=user,
            keyring=keyring,
            case=case,
            version=data["version"],
            priority=data["priority"],
            pathway=data["pathway"],
            budget=data["budget"],
            currency=data["currency"],
            summary=summary,
        )
    except UserError as error:
        if error.code == "conflict":
            fresh = access_case(user, case.pk).case
            return _render_edit(request, fresh, status=409, conflict=str(error.message), typed=data["summary"])
        add_user_error(form, error)
        return _render_edit(request, case, form, status=400)
    except (KeyNotHeld, CryptoError):
        # Nothing was written; the page says why (a key not held, or altered data).
        return _render_edit(request, case, status=403)
    messages.success(request, _("The case is saved."))
    return redirect(_case_url(case))


# --- taking someone off the team ----------------------------------------------------------------


@staff_view()
def case_team_remove_view(request: HttpRequest, case_id: uuid.UUID, member_id: uuid.UUID) -> HttpResponse:
    """GET asks for confirmation; POST takes the member off and rotates what they could read."""
    user = member(request)
    case = access_case(user, case_id).case
    row = TeamMember.objects.filter(case=case, user_id=member_id).select_related("user").first()
    if row is None:
        raise Http404
    form = forms.Form(request.POST if request.method == "POST" else None)
    context = {
        **_metadata(case),
        "row": row,
        "form": form,
        "self_removal": row.user_id == user.pk,
        "only_theirs": compartments_held_only_by(case, row.user),
    }
    if request.method != "POST":
        return render(request, "workspace/cases/team_remove.html", context)
    try:
        removal = actions.do_remove_team_member(actor=user, keyring=_keyring(request), case=case, member=row.user)
    except UserError as error:
        add_user_error(form, error)
        return render(request, "workspace/cases/team_remove.html", context, status=400)
    except (KeyNotHeld, CryptoError):
        form.add_error(None, _("The case's keys could not be opened with yours, so nothing was changed."))
        return render(request, "workspace/cases/team_remove.html", context, status=403)
    if row.user_id == user.pk:
        messages.success(request, _("You have left the team of case %(reference)s.") % {"reference": case.reference})
        return redirect("workspace:case_list")
    done = _("%(member)s is no longer on the team.") % {"member": row.user.username}
    if removal.pending:
        done += " " + ngettext(
            "%(count)d key they held is not yours to open: a member who holds it must rotate it from this page.",
            "%(count)d keys they held are not yours to open: a member who holds them must rotate them from this page.",
            len(removal.pending),
        ) % {"count": len(removal.pending)}
    messages.success(request, done)
    return redirect(_case_url(case, "team"))


# --- files -----------------------------------------------------------------------------------------


@staff_view()
def case_document_view(request: HttpRequest, case_id: uuid.UUID, document_id: uuid.UUID) -> HttpResponse:
    user = member(request)
    case = access_case(user, case_id).case
    document = CaseDocument.objects.select_related("key").filter(pk=document_id, case=case).first()
    if document is None:
        raise Http404
    try:
        content = read_document_content(document, _keyring(request).secret_for(case.key))
    except KeyNotHeld:
        return _render_case(request, case, status=403)
    except CryptoError:
        log.error("a document of case %s did not decrypt; it may have been tampered with", case.pk)
        messages.error(request, _("This file could not be decrypted: it may have been altered. Nothing was sent."))
        return redirect(_case_url(case, "documents"))
    actions.do_record_document_read(actor=user, document=document)
    return _attachment(content, document.kind, f"{case.reference}-{str(document.pk)[:8]}")


@staff_view()
def case_request_file_view(request: HttpRequest, case_id: uuid.UUID, file_id: uuid.UUID) -> HttpResponse:
    """A file the requester sent in the conversation, for the case's team."""
    user = member(request)
    case = access_case(user, case_id).case
    if case.request is None:
        raise Http404
    stored = RequestFile.objects.select_related("key").filter(pk=file_id, request_id=case.request_id).first()
    if stored is None:
        raise Http404
    try:
        content = read_file_content(stored, _keyring(request).secret_for(case.request.key))
    except KeyNotHeld:
        return _render_case(request, case, status=403)
    except CryptoError:
        log.error("a file of case %s did not decrypt; it may have been tampered with", case.pk)
        messages.error(request, _("This file could not be decrypted: it may have been altered. Nothing was sent."))
        return redirect(_case_url(case, "conversation"))
    actions.do_record_case_read(actor=user, case=case)
    return _attachment(content, stored.kind, f"{case.reference}-{str(stored.pk)[:8]}")


def _attachment(content: bytes, kind: str, stem: str) -> HttpResponse:
    content_type, extension = FILE_TYPES.get(kind, ("application/octet-stream", "bin"))
    response = HttpResponse(content, content_type=content_type)
    # A neutral name: the browser's download list outlives the session, and the
    # original name may carry the person's name.
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    # Never guessed as HTML, never cached, and inert even if a browser displays it anyway.
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
