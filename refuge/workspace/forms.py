"""Forms of the staff workspace: parse and bound input; actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Role
from refuge.core.forms import CleanCharField


class LoginForm(forms.Form):
    organisation = CleanCharField(
        label=_("Organisation"), max_length=60, help_text=_("The short name of your organisation.")
    )
    username = CleanCharField(label=_("Username"), max_length=60)
    password = forms.CharField(label=_("Password"), max_length=200, strip=False, widget=forms.PasswordInput)
    code = CleanCharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["organisation"].widget.attrs["autocomplete"] = "organization"
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class EnrolForm(forms.Form):
    password = forms.CharField(
        label=_("Choose a password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput,
        help_text=_("At least 12 characters. A few unrelated words are easy to remember and hard to guess."),
    )
    password_again = forms.CharField(
        label=_("The same password again"), max_length=200, strip=False, widget=forms.PasswordInput
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords are not the same."))
        return data


class CodeForm(forms.Form):
    code = CleanCharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class RecoverForm(EnrolForm):
    organisation = CleanCharField(label=_("Organisation"), max_length=60)
    username = CleanCharField(label=_("Username"), max_length=60)
    recovery_code = CleanCharField(label=_("Personal recovery key"), max_length=80)
    field_order = ["organisation", "username", "recovery_code", "password", "password_again"]


class PasswordChangeForm(EnrolForm):
    old_password = forms.CharField(label=_("Current password"), max_length=200, strip=False, widget=forms.PasswordInput)
    field_order = ["old_password", "password", "password_again"]


class DuressForm(forms.Form):
    current_password = forms.CharField(
        label=_("Current password"), max_length=200, strip=False, widget=forms.PasswordInput
    )
    duress_password = forms.CharField(
        label=_("Duress password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput,
        help_text=_(
            "If someone forces you to log in, use this password: you will see an empty workspace, your account will be locked and coordinators alerted."
        ),
    )


class InviteForm(forms.Form):
    username = CleanCharField(label=_("Username"), max_length=60, help_text=_("A handle, not a legal name."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CASEWORKER)
