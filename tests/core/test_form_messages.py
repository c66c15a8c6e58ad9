"""Every form field that limits its length says so in Refuge's words, never Django's stock text."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.utils import translation
from django.utils.formats import number_format

import refuge


def limited_fields() -> list[tuple[str, forms.CharField]]:
    found = []
    for module_info in pkgutil.walk_packages(refuge.__path__, "refuge."):
        if ".migrations" in module_info.name or "form" not in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, forms.BaseForm) and value.__module__ == module.__name__:
                for field_name, field in value.base_fields.items():
                    if isinstance(field, forms.CharField) and field.max_length:
                        found.append((f"{name}.{field_name}", field))
    return found


FIELDS = limited_fields()


def test_the_scan_sees_the_portal_and_the_workspace_forms():
    names = {name for name, _ in FIELDS}
    assert {"RequestForm.what_happened", "LoginForm.username", "ReplyForm.body"} <= names


@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[name for name, _ in FIELDS])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_too_long_value_gets_refuges_message_in_the_readers_language(name, field, language):
    with translation.override(language), pytest.raises(forms.ValidationError) as refused:
        field.clean("a" * (field.max_length + 1))
    with translation.override(language):
        messages = refused.value.messages
        limit = number_format(field.max_length, force_grouping=True)
        # Refuge's wording (the generic one, or the field's own), with the limit as the reader writes numbers.
        assert any(limit in message for message in messages), messages
        assert not any("Ensure this value" in m or "Убедитесь" in m for m in messages), messages
        if language == "ru":
            assert not any("too long" in m for m in messages), messages
