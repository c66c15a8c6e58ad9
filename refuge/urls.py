from django.urls import include, path

from refuge.core.views import health

urlpatterns = [
    path("health/", health, name="health"),
    path("", include("refuge.workspace.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("r/", include("refuge.requester.urls")),
]

handler400 = "refuge.core.views.bad_request"
handler403 = "refuge.core.views.permission_denied"
handler404 = "refuge.core.views.page_not_found"
handler500 = "refuge.core.views.server_error"
