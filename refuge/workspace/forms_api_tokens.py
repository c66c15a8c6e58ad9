"""The form that makes an API token (refuge/accounts/api_tokens.py; docs/api.md, "Tokens")."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from refuge.accounts.api_tokens import DEFAULT_DAYS, MAX_TOKEN_DAYS, MAX_TOKEN_NAME_CHARS, Scope
from refuge.core.forms import CleanCharField


class ApiTokenForm(forms.Form):
    name = CleanCharField(
        label=_("Name"),
        max_length=MAX_TOKEN_NAME_CHARS,
        help_text=_("What will use it, for example “referral bridge”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("It may"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose what the token may be used for.")},
    )
    days = forms.IntegerField(
        label=_("Days until it expires"), min_value=1, max_value=MAX_TOKEN_DAYS, initial=DEFAULT_DAYS
    )
    unlock_public_key = CleanCharField(
        label=_("Public key of the script (optional)"),
        required=False,
        max_length=64,
        help_text=_(
            "Only for a script that must read or change encrypted content. Your private key is then sealed "
            "to this key: whoever holds the script's private key and the token can open what you can open."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unlock_public_key"].widget.attrs.update({"spellcheck": "false", "autocomplete": "off"})
