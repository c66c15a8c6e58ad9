"""The requester portal, under /r/ (refuge/urls.py). Fixed paths come before the organisation's."""

from django.urls import path

from refuge.requester.views import ask, packet, request, session

app_name = "requester"

urlpatterns = [
    path("status/", session.status_view, name="status"),
    path("leave/", session.leave_view, name="leave"),
    path("leave-quickly/", session.quick_exit_view, name="quick_exit"),
    path("request/", request.request_view, name="request"),
    path("request/sent/", request.request_view, {"sent": True}, name="request_sent"),
    # The requester's yes or no to sharing a disclosure packet (views/consent.py).
    path("request/consent/", request.consent_view, name="consent"),
    path("request/answered/", request.request_view, {"answered": True}, name="request_answered"),
    # A partner's download of a disclosure packet (refuge/requester/views/packet.py).
    path("packet/<str:token>/", packet.packet_view, name="packet"),
    path("<slug:org_slug>/", ask.landing_view, name="landing"),
    path("<slug:org_slug>/ask/", ask.ask_view, name="ask"),
]
