"""The check-in form: the receipt and an optional short message (which may be the duress word)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from refuge.requester.forms import PortalText, ReceiptForm
from refuge.safety.actions.check_ins import MAX_CHECK_IN_CHARS


class CheckInForm(ReceiptForm):
    # The duress word is typed here like any message: nothing on the page mentions it.
    message = PortalText(
        label=_("A short message (optional)"),
        max_length=MAX_CHECK_IN_CHARS,
        multiline=True,
        help_text=_("For example: all is well. Only the team reads it."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No unsent reply is carried on this page.
        del self.fields["body"]
        self.fields["message"].widget.attrs["rows"] = "2"
