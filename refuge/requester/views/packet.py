"""A partner downloads a disclosure packet through its unguessable link (refuge/disclosures/packets.py).

GET shows a page with a button; only the POST counts as a download, so that a messenger fetching
a link preview does not use up the packet. Every refusal (unknown, expired, revoked, used up) is
the same page: the link tells nothing about which.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache

from refuge.disclosures.packets import do_take_download, packet_available
from refuge.requester.views.common import portal_view, render_portal


@never_cache
@portal_view
def packet_view(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        produced = do_take_download(token=token)
        if produced is not None:
            response = HttpResponse(produced, content_type="application/octet-stream")
            response["Content-Disposition"] = 'attachment; filename="packet.zip.age"'
            return response
        return render_portal(request, "requester/packet.html", {"gone": True}, status=404)
    if not packet_available(token):
        return render_portal(request, "requester/packet.html", {"gone": True}, status=404)
    return render_portal(request, "requester/packet.html", {"token": token})
