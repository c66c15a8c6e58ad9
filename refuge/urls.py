from django.urls import include, path, re_path

from refuge.api.main import not_found_view
from refuge.api.main import urls as api_urls

urlpatterns = [
    path("api/v1/", api_urls),
    # Every other address under /api/ answers the API's 404 body, not the workspace's page.
    re_path(r"^api/", not_found_view, name="api_not_found"),
    path("", include("refuge.workspace.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("r/", include("refuge.requester.urls")),
]

handler400 = "refuge.core.views.bad_request"
handler403 = "refuge.core.views.permission_denied"
handler404 = "refuge.core.views.page_not_found"
handler500 = "refuge.core.views.server_error"
