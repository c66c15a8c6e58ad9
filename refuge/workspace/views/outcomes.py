"""Outcomes of applications per pathway and destination (refuge/applications/outcomes.py), and their CSV.

Coordinators see the organisation's; every other case role only the cases whose team they
are on. Nothing is decrypted: the page reads the columns kept in clear for statistics. The
chart is an SVG drawn here, server-side, that reads without JavaScript; the table says the same.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import render

from refuge.accounts.models import Role, User
from refuge.applications.outcomes import SMALL_SAMPLE, Filters, Row, csv_rows, outcomes
from refuge.cases.access import CASE_ROLES
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_outcomes import OutcomeFilterForm

BAR_WIDTH = 480
BAR_HEIGHT = 22


@dataclass(frozen=True)
class Bar:
    """One pathway's bar: the width of each outcome in the chart's pixels."""

    row: Row
    y: int
    granted: int
    refused: int
    withdrawn: int
    pending: int


def bars(rows: list[Row]) -> list[Bar]:
    widest = max((row.submitted for row in rows), default=0) or 1
    scale = BAR_WIDTH / widest
    return [
        Bar(
            row,
            index * (BAR_HEIGHT + 8),
            round(row.granted * scale),
            round(row.refused * scale),
            round(row.withdrawn * scale),
            round(row.pending * scale),
        )
        for index, row in enumerate(rows)
    ]


def _viewer(request: StaffRequest) -> User:
    if request.member.role not in CASE_ROLES:
        raise Http404
    return request.member


@staff_view()
def outcomes_view(request: StaffRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = OutcomeFilterForm(request.GET or None, viewer=viewer)
    valid = form.is_valid() if request.GET else True
    rows = outcomes(viewer, form.filters() if request.GET and valid else Filters()) if valid else []
    drawn = bars(rows)
    context = {
        "form": form,
        "rows": rows,
        "bars": drawn,
        "chart_height": max(1, len(drawn)) * (BAR_HEIGHT + 8),
        "bar_height": BAR_HEIGHT,
        "small_sample": SMALL_SAMPLE,
        "coordinator": viewer.role == Role.COORDINATOR,
        "query": request.GET.urlencode(),
    }
    return render(request, "workspace/outcomes/page.html", context, status=200 if valid else 400)


@staff_view()
def outcomes_csv_view(request: StaffRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = OutcomeFilterForm(request.GET or None, viewer=viewer)
    if request.GET and not form.is_valid():
        return render(request, "workspace/outcomes/page.html", {"form": form, "rows": [], "bars": []}, status=400)
    rows = outcomes(viewer, form.filters() if request.GET else Filters())
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
    csv.writer(response, lineterminator="\n").writerows(csv_rows(rows))
    return response
