"""The home page: what needs me today, composed of the cards apps register (refuge/workspace/panels.py)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.panels import HomeView, compose_home_panels


@staff_view()
def home(request: StaffRequest) -> HttpResponse:
    view = HomeView(request.member, request.keyring, timezone.localdate())
    return render(request, "workspace/home.html", compose_home_panels(view))
