"""The requester portal, under /r/ (refuge/urls.py). Fixed paths come before the organisation's."""

from django.urls import path

from refuge.requester.views import ask, check_in, packet, request, session

app_name = "requester"

urlpatterns = [
    path("status/", session.status_view, name="status"),
    path("leave/", session.leave_view, name="leave"),
    path("leave-quickly/", session.quick_exit_view, name="quick_exit"),
    path("request/", request.request_view, name="request"),
    path("request/sent/", request.request_view, {"sent": True}, name="request_sent"),
    # Under request/: a reserved short name, so no organisation's portal can take these paths.
    path("request/check-in/", check_in.check_in_view, name="check_in"),
    path("request/help-now/", check_in.help_now_view, name="help_now"),
    path("request/help-now/sent/", check_in.help_sent_view, name="help_sent"),
    path("request/staying-safe/", check_in.safety_guide_view, name="safety_guide"),
    # A partner's download of a disclosure packet (refuge/requester/views/packet.py).
    path("packet/<str:token>/", packet.packet_view, name="packet"),
    path("<slug:org_slug>/", ask.landing_view, name="landing"),
    path("<slug:org_slug>/ask/", ask.ask_view, name="ask"),
]
