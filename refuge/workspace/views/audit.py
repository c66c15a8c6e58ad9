"""The audit pages (/audit/): the log, its verification, the witness export, its statistics.

For auditors and coordinators (docs/workspace.md); every other role gets 404. Everything
shown comes from the audit log alone, which holds ids and codes and no personal data
(docs/audit.md): nothing here decrypts anything, so no page here needs a key.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from refuge.accounts.models import Role
from refuge.accounts.queries import members_of
from refuge.audit.checks import do_export_for_witness, do_verify_log
from refuge.audit.models import AuditEntry
from refuge.audit.queries import event_label
from refuge.audit.reads import log_page, monthly_counts
from refuge.audit.rows import latest_checkpoint
from refuge.audit.verify import MAX_PROBLEMS
from refuge.workspace.decorators import Refusal, StaffRequest, staff_view
from refuge.workspace.forms_audit import AuditLogFilterForm


@dataclass(frozen=True)
class LogRow:
    """One entry as shown: as stored, with its event's name and the actor's username."""

    entry: AuditEntry
    event: str
    member: str | None


AUDIT_ROLES = frozenset({Role.AUDITOR, Role.COORDINATOR})


def _require_audit_role(request: StaffRequest) -> None:
    if request.member.role not in AUDIT_ROLES:
        raise Http404


@staff_view()
def audit_log_view(request: StaffRequest) -> HttpResponse:
    _require_audit_role(request)
    organisation = request.member.organisation
    members = list(members_of(organisation))
    form = AuditLogFilterForm(request.GET or None, members=members)
    before = request.GET.get("before", "")
    # At most 18 digits: a seq is a 64-bit integer, and a longer number would overflow the query.
    before_seq = int(before) if before.isascii() and before.isdigit() and len(before) <= 18 else None
    page = log_page(organisation.pk, form.log_filter(), before_seq=before_seq)
    names = {member.pk: member.username for member in members}
    rows = [
        LogRow(entry, event_label(entry.code), names.get(entry.actor_id) if entry.actor_id else None)
        for entry in page.entries
    ]
    context = {"form": form, "page": page, "rows": rows, "query": _query_without_before(request)}
    return render(request, "workspace/audit/log.html", context, status=400 if form.errors else 200)


def _verify_page(request: StaffRequest, refusal: Refusal | None = None) -> HttpResponse:
    context = {"refusal": refusal, "checkpoint": latest_checkpoint()}
    return render(request, "workspace/audit/verify.html", context, status=refusal.status if refusal else 200)


@staff_view(page=_verify_page)
def audit_verify_view(request: StaffRequest) -> HttpResponse:
    _require_audit_role(request)
    if request.method != "POST":
        return _verify_page(request)
    member = request.member
    report, held = do_verify_log(actor_id=member.pk, organisation_id=member.organisation_id)
    context = {
        "report": report,
        "held": held,
        "checkpoint": latest_checkpoint(),
        "problems_limit": MAX_PROBLEMS,
        "problem_count": len(report.problems) + report.omitted,
    }
    return render(request, "workspace/audit/verify.html", context)


@require_POST
@staff_view(page=_verify_page)
def audit_export_view(request: StaffRequest) -> HttpResponse:
    _require_audit_role(request)
    member = request.member
    lines = do_export_for_witness(actor_id=member.pk, organisation_id=member.organisation_id)
    response = HttpResponse("".join(line + "\n" for line in lines), content_type="application/x-ndjson")
    response["Content-Disposition"] = 'attachment; filename="refuge-audit-export.jsonl"'
    return response


@staff_view()
def audit_statistics_view(request: StaffRequest) -> HttpResponse:
    _require_audit_role(request)
    counts = monthly_counts(request.member.organisation_id)
    return render(request, "workspace/audit/statistics.html", {"counts": counts})


def _query_without_before(request: StaffRequest) -> str:
    query = request.GET.copy()
    query.pop("before", None)
    return query.urlencode()
