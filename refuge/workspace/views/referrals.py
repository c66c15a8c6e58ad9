"""Importing a referral from another Refuge installation (coordinators): the upload beside `refuge import-referral`.

The packet and the organisation's age key file are read in memory only (`memory_uploads`); the key
opens the packet and is not kept. The import itself is refuge/disclosures/referrals.py: the whole
packet is checked before anything is written, and a hostile file is one clear error next to the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from refuge.disclosures.access import can_import_referrals
from refuge.disclosures.referrals import do_import_referral_file
from refuge.intake.uploads.handler import memory_uploads
from refuge.workspace.decorators import StaffRequest, staff_view
from refuge.workspace.forms_disclosures import ReferralImportForm
from refuge.workspace.submit import submit


@staff_view()
@memory_uploads  # in memory only, bounded: neither the packet nor the key lands in /tmp
@sensitive_post_parameters()
def referral_import_view(request: StaffRequest) -> HttpResponse:
    if not can_import_referrals(request.member):
        raise Http404
    posted = request.method == "POST"
    form = ReferralImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted:
        act = lambda data: do_import_referral_file(  # noqa: E731
            coordinator=request.member, sealed=data["packet"], key_file=data["key_file"]
        )
        done = submit(form, act)
        if done is not None:
            case, code = done.value.case, done.value.acknowledgement
            messages.success(
                request, _("The referral is imported as case %(reference)s.") % {"reference": case.reference}
            )
            if code:
                # The sender marks the packet received with it (refuge/disclosures/acknowledgements.py).
                messages.info(
                    request,
                    _(
                        "Give the sending organisation this confirmation code, so that they know the packet arrived: %(code)s"
                    )
                    % {"code": code},
                )
            return redirect("workspace:case_detail", case.pk)
    return render(
        request, "workspace/disclosures/referral_import.html", {"form": form}, status=400 if form.errors else 200
    )
