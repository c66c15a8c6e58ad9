"""Forms of partners and disclosure packets: parse and bound input; actions decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.disclosures.acknowledgements import MAX_CODE_CHARS
from refuge.disclosures.actions import MAX_CODE_NAME_CHARS, MAX_PARTNER_TEXT_CHARS, MAX_RECIPIENT_CHARS
from refuge.disclosures.letters import PARTS, LetterKind, LetterLanguage
from refuge.disclosures.models import ConsentWay, Delivery, Partner, PartnerKind
from refuge.disclosures.packets import (
    MAX_CONSENT_TEXT_CHARS,
    MAX_DOWNLOADS,
    MAX_EXPIRY_DAYS,
    MAX_PURPOSE_CHARS,
)
from refuge.disclosures.referrals import MAX_KEY_FILE_BYTES
from refuge.disclosures.selection import PersonChoices
from refuge.intake.uploads import MAX_FILE_BYTES
from refuge.workspace.fields import interpolated
from refuge.workspace.forms_people import OneOfField, date_field, text_field, version_field

_EXPIRY = _("A packet expires after 1 to 30 days.")
_LIMIT = _("A packet can be downloaded 1 to 5 times.")


class PartnerForm(forms.Form):
    code_name = text_field(
        _("Code name"),
        MAX_CODE_NAME_CHARS,
        required=True,
        error_messages={"required": _("Give the partner a code name.")},
        help_text=_("In clear, so that caseworkers can choose it: never a person's name."),
    )
    name = text_field(
        _("Name"),
        MAX_PARTNER_TEXT_CHARS,
        required=True,
        error_messages={"required": _("Give the partner's name.")},
        help_text=_("Encrypted, like everything below: only coordinators read it."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerKind.choices)
    country = text_field(_("Country"), MAX_PARTNER_TEXT_CHARS)
    delivery = forms.ChoiceField(label=_("How packets reach them"), choices=Delivery.choices)
    recipient = text_field(
        _("age public key"),
        MAX_RECIPIENT_CHARS,
        help_text=_("For delivery by key: the age1… line the partner sent you (docs/disclosures.md)."),
    )
    contact_notes = text_field(_("Contact notes"), MAX_PARTNER_TEXT_CHARS, rows=4)


class PartnerEditForm(PartnerForm):
    active = forms.BooleanField(label=_("Packets may be prepared for this partner"), required=False)
    version = version_field()


class PartnerChoiceField(OneOfField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.code_name)


class PacketForm(forms.Form):
    partner = PartnerChoiceField(
        label=_("Partner"),
        queryset=Partner.objects.none(),
        error_messages={"required": _("Choose a partner."), "invalid_choice": _("Choose a partner.")},
    )
    purpose = text_field(
        _("Purpose"),
        MAX_PURPOSE_CHARS,
        required=True,
        rows=3,
        error_messages={"required": _("Say what the partner needs this for.")},
    )
    chosen = forms.MultipleChoiceField(
        label=_("What goes in the packet"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("One of the chosen fields is not on this case.")},
    )
    documents = forms.MultipleChoiceField(
        label=_("Documents"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("One of the chosen documents is not on this case.")},
    )
    letter = forms.ChoiceField(
        label=_("Support letter"),
        required=False,
        choices=[("", _("No letter")), *LetterKind.choices],
        help_text=_("Filled with the fields chosen above, and nothing else."),
        error_messages={"invalid_choice": _("Choose one of the support letters.")},
    )
    letter_language = forms.ChoiceField(
        label=_("Language of the letter"),
        required=False,  # asked for only with a letter (the action says so)
        choices=LetterLanguage.choices,
        error_messages={"invalid_choice": _("Choose the letter's language.")},
    )

    def __init__(
        self,
        *args: Any,
        partners: QuerySet[Partner],
        checklist: list[PersonChoices],
        documents: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = partners  # type: ignore[attr-defined]
        self.checklist = checklist
        self.fields["chosen"].choices = [  # type: ignore[attr-defined]
            (choice.key, choice.label) for row in checklist for group in row.compartments for choice in group.choices
        ]
        self.fields["documents"].choices = documents  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    who = text_field(
        _("Who consented"),
        MAX_CONSENT_TEXT_CHARS,
        required=True,
        error_messages={"required": _("Say who consented.")},
    )
    given_on = date_field(_("When"))
    way = forms.ChoiceField(label=_("How"), choices=ConsentWay.choices)
    consent_purpose = text_field(
        _("For what purpose"),
        MAX_CONSENT_TEXT_CHARS,
        required=True,
        rows=2,
        error_messages={"required": _("Say what they consented to.")},
    )


class ApproveForm(forms.Form):
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=MAX_EXPIRY_DAYS,
        initial=7,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), _EXPIRY),
    )
    download_limit = forms.IntegerField(
        label=_("Downloads allowed"),
        min_value=1,
        max_value=MAX_DOWNLOADS,
        initial=1,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), _LIMIT),
    )


class AcknowledgementForm(forms.Form):
    code = text_field(
        _("Confirmation code"),
        MAX_CODE_CHARS,
        required=True,
        error_messages={"required": _("Type the code the partner gave you.")},
        help_text=_("Five groups of four letters and digits, from the partner's copy of the packet."),
    )


_UPLOAD_ERRORS = {
    "required": _("Choose a file to upload."),
    "invalid": _("Choose a file to upload."),
    "missing": _("Choose a file to upload."),
    "empty": _("This file is empty."),
    "max_length": _("The file name is too long."),
}


class ReferralImportForm(forms.Form):
    """A packet from another Refuge installation and this organisation's age key file, read in memory only."""

    packet = forms.FileField(
        label=_("The packet (packet.zip.age)"),
        help_text=interpolated(
            _("As downloaded from the sending organisation's link; at most %(megabytes)d MB here."),
            {"megabytes": MAX_FILE_BYTES // (1024 * 1024)},
        ),
        error_messages=_UPLOAD_ERRORS,
    )
    key_file = forms.FileField(
        label=_("This organisation's age key file"),
        help_text=_("The file made with age-keygen: it opens the packet and is not kept."),
        error_messages=_UPLOAD_ERRORS,
    )

    def _bytes(self, name: str, limit: int, message: Any) -> bytes:
        upload = self.cleaned_data[name]
        upload.open()
        data: bytes = upload.read(limit + 1)
        if len(data) > limit:
            raise forms.ValidationError(message, code="too_big")
        return data

    def clean_packet(self) -> bytes:
        # The upload handler keeps at most MAX_FILE_BYTES + 1 bytes of a file: a larger packet
        # is refused here by name, not opened cut short. `refuge import-referral` takes 60 MiB.
        return self._bytes(
            "packet",
            MAX_FILE_BYTES,
            _("This packet is larger than an upload can be here: import it with the command refuge import-referral."),
        )

    def clean_key_file(self) -> bytes:
        return self._bytes(
            "key_file",
            MAX_KEY_FILE_BYTES,
            _("This is not an age key file: it holds no AGE-SECRET-KEY line (make one with age-keygen)."),
        )


_WRITE_PART = {"required": _("Write this part of the letter.")}
_PLACEHOLDER_HELP = _(
    "Placeholders: {org} (your organisation's name), {date} (the day the packet was prepared), {purpose} (the packet's purpose)."
)


class LetterTemplateForm(forms.Form):
    """An organisation's own wording of one support letter; the placeholders are checked by the action."""

    title = text_field(_("Title"), PARTS["title"], required=True, error_messages=_WRITE_PART)
    addressee = text_field(_("Addressee"), PARTS["addressee"], required=True, rows=2, error_messages=_WRITE_PART)
    opening = text_field(
        _("Opening"), PARTS["opening"], required=True, rows=6, error_messages=_WRITE_PART, help_text=_PLACEHOLDER_HELP
    )
    closing = text_field(_("Closing"), PARTS["closing"], required=True, rows=4, error_messages=_WRITE_PART)
    version = version_field()
