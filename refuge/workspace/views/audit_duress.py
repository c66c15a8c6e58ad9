"""The empty duress versions of the audit pages (refuge/workspace/duress.py), for auditors and coordinators."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import User
from refuge.audit.reads import LogPage
from refuge.audit.rows import latest_checkpoint
from refuge.workspace.duress import EmptyPage, reads_audit, register_empty_page
from refuge.workspace.forms_audit import AuditLogFilterForm


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


def register() -> None:
    register_empty_page(EmptyPage("workspace:audit", _audit_log, reads_audit))
    register_empty_page(EmptyPage("workspace:audit_verify", _audit_verify, reads_audit))
    register_empty_page(EmptyPage("workspace:audit_statistics", _audit_statistics, reads_audit))
