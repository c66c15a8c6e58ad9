"""What a duress session sees: the workspace of a real member with nothing in it.

A member who logs in with their duress password (docs/threat-model.md, "Coerced
caseworker") must see an ordinary workspace a coercer cannot tell from a real one: every
page their menu offers answers as it does for a real member of the same role alone in an
organisation where nothing has happened yet — the same template, status and structure,
with no case, request, shelter or colleague in it. Pages that show one object (a case, a
request, a shelter) answer 404 as they do for an object that does not exist. Nothing
here reads the organisation's data, so nothing of it can leak onto these pages.

`staff_view` calls `duress_page` for every duress request. Pages are listed here, not in
each view, so one look shows all a duress session can reach; tests/workspace/
test_duress_pages.py walks the menu of every role under duress and beside a real empty
account and fails on any difference, including a page added to the menu but not here.
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from refuge.accounts.access import can_manage_members
from refuge.accounts.models import Role, User
from refuge.applications.outcomes import csv_rows
from refuge.audit.reads import LogPage
from refuge.audit.rows import latest_checkpoint
from refuge.cases.access import CASE_ROLES
from refuge.cases.models import Case
from refuge.intake.access import can_read_requests
from refuge.intake.models import HelpRequest
from refuge.intake.notify import mail_configured
from refuge.intake.reads import LARGE_GROUP, MAX_GROUPED
from refuge.relocation.access import can_manage_pathways
from refuge.relocation.models import Pathway
from refuge.relocation.queries import CatalogueEntry
from refuge.relocation.requirements import requirement_labels
from refuge.retention.access import may_manage_retention
from refuge.retention.models import Subject
from refuge.retention.queries import PLAN_DAYS, Plan
from refuge.shelter.access import can_manage_shelters
from refuge.shelter.models import Shelter
from refuge.workspace.forms import DuressForm, InviteForm, PasswordChangeForm
from refuge.workspace.forms_api_tokens import ApiTokenForm
from refuge.workspace.forms_audit import AuditLogFilterForm
from refuge.workspace.forms_cases import CaseFilterForm
from refuge.workspace.forms_intake import InboxViewForm, NotificationEmailForm
from refuge.workspace.forms_outcomes import OutcomeFilterForm
from refuge.workspace.forms_pathways import PathwayForm, PathwayNoteForm
from refuge.workspace.forms_retention import RetentionRulesForm
from refuge.workspace.forms_safety import EscalationStepForm, LockConfirmForm
from refuge.workspace.forms_shelters import ShelterForm
from refuge.workspace.panels import HomeView, compose_home_panels

# What the real pages show per page of a list (views/cases.py, views/intake.py).
PAGE_SIZE = 50


def disguised(user: User) -> User:
    """The member as a real account would show them: not locked, no duress password set.

    The copy is only rendered; it is never saved. Without it the header and the members
    list would show "Locked: duress login", and the account page "A duress password is set".
    """
    shown = copy.copy(user)
    shown.locked_by_duress = False
    shown.locked_until = None
    shown.failed_logins = 0
    shown.duress_verifier = b""
    return shown


def _home(request: HttpRequest, user: User) -> HttpResponse:
    # Only the static cards (links, no data): the organisation is not read at all.
    view = HomeView(user, cast(Any, request).keyring, timezone.localdate())
    return render(request, "workspace/home.html", compose_home_panels(view, duress=True))


def _case_list(request: HttpRequest, user: User) -> HttpResponse:
    form = CaseFilterForm(
        request.GET,
        # The member filter offers the member alone, as in an organisation of one.
        members=User.objects.filter(pk=user.pk).only("id", "username", "role"),
        shelters=Shelter.objects.none(),
        # The shared catalogue only: an organisation's private pathways are its own.
        pathways=Pathway.objects.filter(organisation__isnull=True).order_by("country", "name"),
    )
    context: dict[str, object] = {"form": form, "today": timezone.localdate()}
    if not form.is_valid():
        return render(request, "workspace/cases/list.html", {**context, "invalid": True}, status=400)
    page = Paginator(Case.objects.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workspace/cases/list.html", {**context, "page": page, "rows": []})


def _inbox(request: HttpRequest, user: User) -> HttpResponse:
    page = Paginator(HelpRequest.objects.none(), PAGE_SIZE).get_page(request.GET.get("page"))
    # The same "Show" choice as the real inbox, over nothing: no request is decrypted or grouped.
    form = InboxViewForm(request.GET)
    context = {"view_form": form, "show": form.chosen(), "large_group": LARGE_GROUP, "max_grouped": MAX_GROUPED}
    return render(request, "workspace/intake/inbox.html", {**context, "page": page, "rows": []})


def _shelter_list(request: HttpRequest, user: User) -> HttpResponse:
    context = {"shelters": [], "manager": can_manage_shelters(user)}
    return render(request, "workspace/shelters/list.html", context)


def _pathway_list(request: HttpRequest, user: User) -> HttpResponse:
    # What a new organisation sees: the shared catalogue, without notes or private pathways.
    shared = Pathway.objects.filter(organisation__isnull=True, active=True).order_by("country", "name")
    entries = [
        (CatalogueEntry(pathway=p, note="", offered=True), requirement_labels(p.hard_requirements)) for p in shared
    ]
    return render(request, "workspace/pathways/list.html", {"entries": entries, "manager": can_manage_pathways(user)})


def _pathway_detail(request: HttpRequest, user: User) -> HttpResponse:
    # A shared pathway as a new organisation sees it: no notes; a private one does not exist.
    wanted = request.resolver_match.kwargs.get("pathway_id", 0) if request.resolver_match else 0
    pathway = Pathway.objects.filter(pk=int(wanted), organisation__isnull=True).first()
    if pathway is None:
        raise Http404
    context = {
        "entry": CatalogueEntry(pathway=pathway, note="", offered=pathway.active),
        "pathway": pathway,
        "requirements": requirement_labels(pathway.hard_requirements),
        "manager": can_manage_pathways(user),
        "own": False,
        "note_form": PathwayNoteForm(prefix="note"),
    }
    return render(request, "workspace/pathways/detail.html", context)


def _pathway_new(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/pathways/form.html", {"form": PathwayForm()})


def _outcomes(request: HttpRequest, user: User) -> HttpResponse:
    # The member filter offers the member alone, as in an organisation of one.
    form = OutcomeFilterForm(None, viewer=user, members=User.objects.filter(pk=user.pk))
    context = {"form": form, "rows": [], "bars": [], "coordinator": user.role == Role.COORDINATOR, "query": ""}
    return render(request, "workspace/outcomes/page.html", context)


def _outcomes_csv(request: HttpRequest, user: User) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    csv.writer(response, lineterminator="\n").writerows(csv_rows([]))
    return response


def _shelter_new(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/shelters/new.html", {"form": ShelterForm()})


def _members(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/members.html", {"members": [user], "form": InviteForm()})


def _organisation(request: HttpRequest, user: User) -> HttpResponse:
    # No mailbox shown: the real one would tell a coercer where alerts go.
    context = {"form": NotificationEmailForm(initial={"email": ""}), "mail_configured": mail_configured()}
    return render(request, "workspace/organisation.html", context)


def _account(request: HttpRequest, user: User) -> HttpResponse:
    # The member's real session count: the duress session is one of them, as on a real login.
    context = {
        "password_form": PasswordChangeForm(),
        "duress_form": DuressForm(),
        "session_count": user.sessions.count(),
    }
    return render(request, "workspace/account.html", context)


def _api_tokens(request: HttpRequest, user: User) -> HttpResponse:
    # No token listed (a real account without one looks the same); making one is refused (404).
    return render(request, "workspace/api_tokens.html", {"form": ApiTokenForm(), "tokens": [], "refusal": None})


def _audit_log(request: HttpRequest, user: User) -> HttpResponse:
    # No entry, and the member filter offers the member alone. A real log is never quite
    # empty (the login itself is an entry): a coercer who knows that can tell
    # (docs/threat-model.md, "Coerced caseworker"); showing the real log would name colleagues.
    form = AuditLogFilterForm(request.GET or None, members=[user])
    context = {"form": form, "page": LogPage(entries=[], older_than=None), "rows": [], "query": ""}
    return render(request, "workspace/audit/log.html", context, status=400 if form.errors else 200)


def _audit_verify(request: HttpRequest, user: User) -> HttpResponse:
    # The installation's last checkpoint (seq, time, hash) says nothing of the organisation.
    return render(request, "workspace/audit/verify.html", {"refusal": None, "checkpoint": latest_checkpoint()})


def _audit_statistics(request: HttpRequest, user: User) -> HttpResponse:
    return render(request, "workspace/audit/statistics.html", {"counts": []})


def _escalation(request: HttpRequest, user: User) -> HttpResponse:
    # An organisation that has not written its checklist yet.
    return render(request, "workspace/safety/escalation.html", {"steps": [], "form": EscalationStepForm()})


def _retention(request: HttpRequest, user: User) -> HttpResponse:
    # An organisation with no rule yet: nothing due, nothing held.
    plan = Plan(days=PLAN_DAYS, counts={subject.value: 0 for subject in Subject}, items=[], total=0)
    context = {
        "form": RetentionRulesForm(),
        "plan": plan,
        "counts": [(subject.label, 0) for subject in Subject],
        "holds": [],
    }
    return render(request, "workspace/retention/page.html", context)


def _lock(request: HttpRequest, user: User) -> HttpResponse:
    # The page as every member has it; its buttons answer a duress session as any form does
    # (the missing page): the account is locked already, by the duress login itself.
    context = {"lock_form": LockConfirmForm(prefix="me"), "emergency_form": LockConfirmForm(prefix="all")}
    return render(request, "workspace/safety/lock.html", context)


def _reads_audit(user: User) -> bool:
    return user.role in {Role.AUDITOR, Role.COORDINATOR}


@dataclass(frozen=True)
class EmptyPage:
    """A page a duress session can open: who may (as for the real page) and how it looks empty."""

    may_open: Callable[[User], bool]
    render: Callable[[HttpRequest, User], HttpResponse]


def _every_role(user: User) -> bool:
    return True


EMPTY_PAGES: dict[str, EmptyPage] = {
    "workspace:home": EmptyPage(_every_role, _home),
    "workspace:account": EmptyPage(_every_role, _account),
    "workspace:api_tokens": EmptyPage(_every_role, _api_tokens),
    "workspace:intake_inbox": EmptyPage(can_read_requests, _inbox),
    "workspace:case_list": EmptyPage(lambda user: user.role in CASE_ROLES, _case_list),
    "workspace:shelter_list": EmptyPage(lambda user: user.role in CASE_ROLES, _shelter_list),
    "workspace:shelter_new": EmptyPage(can_manage_shelters, _shelter_new),
    "workspace:pathway_list": EmptyPage(lambda user: user.role in CASE_ROLES, _pathway_list),
    "workspace:pathway_detail": EmptyPage(lambda user: user.role in CASE_ROLES, _pathway_detail),
    "workspace:pathway_new": EmptyPage(can_manage_pathways, _pathway_new),
    "workspace:outcomes": EmptyPage(lambda user: user.role in CASE_ROLES, _outcomes),
    "workspace:outcomes_csv": EmptyPage(lambda user: user.role in CASE_ROLES, _outcomes_csv),
    "workspace:members": EmptyPage(can_manage_members, _members),
    "workspace:organisation": EmptyPage(lambda user: user.role == Role.COORDINATOR, _organisation),
    "workspace:escalation": EmptyPage(lambda user: user.role == Role.COORDINATOR, _escalation),
    "workspace:retention": EmptyPage(may_manage_retention, _retention),
    "workspace:lock": EmptyPage(_every_role, _lock),
    "workspace:audit": EmptyPage(_reads_audit, _audit_log),
    "workspace:audit_verify": EmptyPage(_reads_audit, _audit_verify),
    "workspace:audit_statistics": EmptyPage(_reads_audit, _audit_statistics),
}


def duress_page(request: HttpRequest) -> HttpResponse:
    """The empty version of the page asked for, or the 404 of a page that does not exist."""
    match = request.resolver_match
    page = EMPTY_PAGES.get(match.view_name if match else "")
    user = disguised(request.user)  # type: ignore[arg-type]
    if page is None or request.method not in {"GET", "HEAD"} or not page.may_open(user):
        raise Http404
    request.user = user
    return page.render(request, user)
