"""Forms of the requester portal: every field bounded, every error in the reader's language.

Nothing a person typed is lost when a form comes back with an error: every text
field is filled in again. Browsers cannot re-fill file inputs, so the page asks
for the files again (`files_dropped`).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from refuge.core.errors import UserError
from refuge.core.forms import CleanCharField
from refuge.intake.actions.messages import MAX_MESSAGE_CHARS
from refuge.intake.models import IntakeQuestion, QuestionKind, Urgency
from refuge.intake.uploads import MAX_FILE_BYTES, MAX_FILES_PER_UPLOAD, CleanUpload, sanitise_uploads
from refuge.requester.form_tokens import form_token_digest, new_form_token

MAX_STORY_CHARS = 20_000
MAX_NOTE_CHARS = 5_000
MAX_CUSTOM_TEXT_CHARS = 2_000
UNREADABLE = "\ufffd"  # what a browser or Django puts where bytes were not valid UTF-8


class PortalText(CleanCharField):
    """Text that refuses control characters and undecodable bytes, with a message people can act on."""

    def __init__(self, *, max_length: int, multiline: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages",
            {"invalid": _("This text contains characters that cannot be read. Please type it again.")},
        )
        attrs = {"autocomplete": "off"}
        if multiline:
            attrs["rows"] = "6" if max_length > MAX_NOTE_CHARS else "3"
        kwargs.setdefault("widget", forms.Textarea(attrs=attrs) if multiline else forms.TextInput(attrs=attrs))
        super().__init__(max_length=max_length, **kwargs)

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        if UNREADABLE in text or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return text


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class UploadsField(forms.FileField):
    """Several files from one input, checked and stripped of metadata by `sanitise_uploads`."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", MultipleFileInput())
        # sanitise_uploads names the empty file in its message; Django's own would not.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[CleanUpload]:
        raw = data if isinstance(data, list | tuple) else [data] if data else []
        files: Sequence[UploadedFile] = [super(UploadsField, self).clean(item, initial) for item in raw]
        if not files:
            return []
        try:
            return sanitise_uploads(files)
        except UserError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None


def _files_help() -> str:
    return str(
        _("Up to %(count)d files, each at most %(megabytes)d MB: photos (JPEG, PNG, WebP) or PDF.")
        % {"count": MAX_FILES_PER_UPLOAD, "megabytes": MAX_FILE_BYTES // (1024 * 1024)}
    )


class OneTimeForm(forms.Form):
    """A form sent at most once: it carries a one-time token (refuge/requester/form_tokens.py).

    A form that comes back with errors gets a fresh token, since the old one was not spent.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sent_token = self.data.get("form_token", "") if self.is_bound else ""
        self.form_token = new_form_token()
        self.files_dropped = self.is_bound and bool(self.files)

    def token_digest(self) -> str:
        """The spent token's hash, or UserError if it is missing, forged or too old."""
        return form_token_digest(self.sent_token)


DOCUMENTS = [
    ("internal_passport", _("Internal passport")),
    ("international_passport", _("International passport")),
    ("none", _("None")),
]
LANGUAGES = [("ru", _("Russian")), ("en", _("English")), ("other", _("Other"))]


class RequestForm(OneTimeForm):
    """The request for help. Field names are the answer keys intake reads (and the blind indexes use)."""

    what_happened = PortalText(
        label=_("What happened?"),
        max_length=MAX_STORY_CHARS,
        multiline=True,
        required=True,
        help_text=_("In your own words. Write what you are comfortable writing; we can ask more later."),
    )
    where_now = PortalText(
        label=_("Where are you now?"),
        max_length=200,
        required=True,
        help_text=_("Region or city only. Never give an address."),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose how urgent it is."), "invalid_choice": _("Choose one of the answers.")},
    )
    contact = PortalText(
        label=_("Safe ways and times to contact you"),
        max_length=1_000,
        multiline=True,
        help_text=_("For example: “Signal after 20:00”, or “only answer here, never call”."),
    )
    name = PortalText(
        label=_("Name"),
        max_length=200,
        help_text=_("As in your documents, if you want us to check whether you wrote to us before."),
    )
    phone = PortalText(
        label=_("Phone number"), max_length=40, help_text=_("Only if it is safe for us to call or text you.")
    )
    documents = forms.MultipleChoiceField(
        label=_("Documents you hold"),
        choices=DOCUMENTS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose one of the answers.")},
    )
    document_number = PortalText(label=_("Document number"), max_length=60)
    others_at_risk = PortalText(
        label=_("Who else is at risk with you?"),
        max_length=2_000,
        multiline=True,
        help_text=_("For example a partner or children. Names are not needed now."),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages you speak"),
        choices=LANGUAGES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose one of the answers.")},
    )
    languages_other = PortalText(label=_("Other languages"), max_length=200)
    anything_else = PortalText(label=_("Anything else we should know?"), max_length=MAX_NOTE_CHARS, multiline=True)
    # The organisation's own questions are inserted here (before the files).
    # Named "files" like the field of intake's UserErrors. Django's form metaclass moves
    # declared fields off the class, so this does not shadow BaseForm.files at run time.
    files = UploadsField(label=_("Files"))  # type: ignore[assignment]

    def __init__(self, *args: Any, questions: Sequence[IntakeQuestion] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions)
        files = self.fields.pop("files")
        for question in self.questions:
            self.fields[custom_field_name(question)] = custom_field(question)
        files.help_text = _files_help()
        self.fields["files"] = files
        for name in ("name", "phone", "document_number"):
            self.fields[name].widget.attrs["spellcheck"] = "false"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"

    def custom_fields(self) -> list[forms.BoundField]:
        """The organisation's questions, for the template."""
        return [self[custom_field_name(question)] for question in self.questions]

    def clean_documents(self) -> list[str]:
        documents: list[str] = self.cleaned_data["documents"]
        if "none" in documents and len(documents) > 1:
            raise forms.ValidationError(_("Choose “None” or the documents you hold, not both."), code="conflict")
        return documents

    def answers(self) -> dict[str, Any]:
        """The answers as intake stores them (encrypted): fixed keys, then `custom` by question id."""
        data = self.cleaned_data
        fixed = [
            "what_happened",
            "where_now",
            "contact",
            "name",
            "phone",
            "documents",
            "document_number",
            "others_at_risk",
            "languages",
            "languages_other",
            "anything_else",
        ]
        answers: dict[str, Any] = {key: data[key] for key in fixed}
        answers["custom"] = {
            str(question.id): value
            for question in self.questions
            if (value := custom_answer(question, data.get(custom_field_name(question)))) not in ("", None)
        }
        return answers


class ReplyForm(OneTimeForm):
    body = PortalText(label=_("Your message"), max_length=MAX_MESSAGE_CHARS, multiline=True)
    files = UploadsField(label=_("Files"))  # type: ignore[assignment]  # see RequestForm.files

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["files"].help_text = _files_help()


class ReceiptForm(forms.Form):
    receipt = PortalText(
        label=_("Your receipt"),
        max_length=64,
        required=True,
        help_text=_("20 letters and digits, for example 7K2M-Q9XD-4HNP-B3TW-8RVE. Dashes and spaces do not matter."),
    )
    # A message whose sending failed because the session had ended: kept, not lost.
    body = PortalText(label=_("Your message, not sent yet"), max_length=MAX_MESSAGE_CHARS, multiline=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["receipt"].widget.attrs.update(
            {"autocapitalize": "characters", "spellcheck": "false", "class": "receipt-input"}
        )

    def forget_receipt(self) -> None:
        """Show the form again without the typed receipt (a mistyped one is shown, to be corrected)."""
        self.data = {**dict(self.data.items()), "receipt": ""}


# --- the organisation's own questions ---------------------------------------------------------


def custom_field_name(question: IntakeQuestion) -> str:
    return f"q_{question.pk.hex}"


def _in_language(texts: dict[str, str]) -> str:
    """A label in the reader's language, falling back to the other one."""
    first, second = ("ru", "en") if (get_language() or "en").startswith("ru") else ("en", "ru")
    return texts.get(first) or texts.get(second) or ""


def _choice_labels(question: IntakeQuestion) -> list[str]:
    choices = question.choices if isinstance(question.choices, list) else []
    return [_in_language(choice) if isinstance(choice, dict) else str(choice) for choice in choices]


class NotFutureDateField(forms.DateField):
    """A real calendar date, not far in the future (a typo like 2204 is caught)."""

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is None:
            return
        if value > timezone.localdate() + datetime.timedelta(days=1):
            raise forms.ValidationError(_("This date is in the future."), code="future")
        if value.year < 1900:
            raise forms.ValidationError(_("Enter a date after 1900."), code="past")


def custom_field(question: IntakeQuestion) -> forms.Field:
    """The form field for one of the organisation's questions, in the reader's language."""
    label = _in_language({"en": question.label_en, "ru": question.label_ru})
    required = bool(question.required)
    choice_errors = {"required": _("Choose an answer."), "invalid_choice": _("Choose one of the answers.")}
    if question.kind == QuestionKind.CHOICE:
        choices = [(str(index), text) for index, text in enumerate(_choice_labels(question))]
        return forms.ChoiceField(
            label=label, choices=choices, required=required, widget=forms.RadioSelect, error_messages=choice_errors
        )
    if question.kind == QuestionKind.YES_NO:
        return forms.ChoiceField(
            label=label,
            choices=[("yes", _("Yes")), ("no", _("No"))],
            required=required,
            widget=forms.RadioSelect,
            error_messages=choice_errors,
        )
    if question.kind == QuestionKind.DATE:
        return NotFutureDateField(
            label=label,
            required=required,
            input_formats=["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"],
            widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"}, format="%Y-%m-%d"),
            error_messages={"invalid": _("Enter a real date, for example 2024-05-31.")},
        )
    return PortalText(label=label, max_length=MAX_CUSTOM_TEXT_CHARS, multiline=True, required=required)


def custom_answer(question: IntakeQuestion, value: Any) -> str | int | bool | None:
    """What is stored for one answer: the text, the chosen option's position, True/False, or an ISO date.

    A position rather than a label, so that intake reads the option in their own language.
    """
    if value in ("", None):
        return None
    if question.kind == QuestionKind.CHOICE:
        return int(value)
    if question.kind == QuestionKind.YES_NO:
        return value == "yes"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
