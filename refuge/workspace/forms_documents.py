"""The case page's documents panel: one uploaded file, checked by its content and rebuilt without metadata."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.core.errors import UserError
from refuge.intake.uploads import MAX_FILE_BYTES, CleanUpload, sanitise_upload
from refuge.workspace.fields import interpolated


class DocumentForm(forms.Form):
    file = forms.FileField(
        label=_("Document"),
        allow_empty_file=True,  # sanitise_upload names the empty file in its own message
        help_text=interpolated(
            _(
                "One file of at most %(megabytes)d MB: a photo (JPEG, PNG, WebP) or a PDF. "
                "Hidden metadata is removed before it is stored."
            ),
            {"megabytes": MAX_FILE_BYTES // (1024 * 1024)},
        ),
        error_messages={
            "required": _("Choose a file to upload."),
            "invalid": _("Choose a file to upload."),
            "missing": _("Choose a file to upload."),
            "max_length": _("The file name is too long."),
        },
    )

    def clean_file(self) -> CleanUpload:
        """Checked by its content and rebuilt without metadata, as requesters' files are."""
        upload = self.cleaned_data["file"]
        try:
            return sanitise_upload(upload.name or "", upload, upload.size)
        except UserError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None
