"""Refuge's URLs, plus the plaintext request form at /bench/<organisation>/ask/."""

from django.urls import include, path

from bench.baseline_app.views import plain_ask_view

urlpatterns = [
    path("bench/<slug:org_slug>/ask/", plain_ask_view, name="bench_plain_ask"),
    path("", include("refuge.urls")),
]

handler400 = "refuge.core.views.bad_request"
handler403 = "refuge.core.views.permission_denied"
handler404 = "refuge.core.views.page_not_found"
handler500 = "refuge.core.views.server_error"
