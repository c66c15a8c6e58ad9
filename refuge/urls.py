from django.urls import include, path, re_path

from refuge.api.bodies import missing_address
from refuge.core.lazy_urls import lazy_include
from refuge.core.views import health

urlpatterns = [
    path("health/", health, name="health"),
    # The JSON API (django-ninja, pydantic, its endpoints) is imported by the first request to it,
    # not by every worker at start (refuge/core/lazy_urls.py).
    lazy_include("api/v1/", "refuge.api.main", namespace="api"),
    # Every other address under /api/ answers the API's 404 body, not the workspace's page.
    re_path(r"^api/", missing_address, name="api_not_found"),
    # The portal before the workspace: its pages take most of the traffic (every submission
    # is two requests), and after the workspace's ~120 routes each of its requests was tried
    # against them all first (0.04 ms of 0.05 ms of URL resolution). No workspace route
    # starts with "r/" (tests/core/test_urls.py), so the order changes no answer.
    path("r/", include("refuge.requester.urls")),
    path("", include("refuge.workspace.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]

handler400 = "refuge.core.views.bad_request"
handler403 = "refuge.core.views.permission_denied"
handler404 = "refuge.core.views.page_not_found"
handler500 = "refuge.core.views.server_error"
