from django.urls import include, path, re_path

from refuge.api.main import not_found_view
from refuge.api.main import urls as api_urls
from refuge.core.views import health

urlpatterns = [
    path("health/", health, name="health"),
    path("api/v1/", api_urls),
    # Every other address under /api/ answers the API's 404 body, not the workspace's page.
    re_path(r"^api/", not_found_view, name="api_not_found"),
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
