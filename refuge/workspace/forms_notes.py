"""The case page's notes panel."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.cases.actions.notes import MAX_CASE_NOTE_CHARS
from refuge.workspace.fields import bounded_text, textarea


class NoteForm(forms.Form):
    body = bounded_text(
        _("Note"),
        MAX_CASE_NOTE_CHARS,
        required=True,
        required_message=_("Write the note first."),
        widget=textarea(5),
        help_text=_("Only the team reads notes. Write what the next person needs to know."),
    )
