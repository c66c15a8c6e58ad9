"""QuickSelect writes the same <select> as Django's own widget, without a template per option."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.html import parse_html

from refuge.workspace.fields import QuickSelect

CHOICES: list[Any] = [
    ("", "Any <one>"),
    ("a", "A & “b”"),
    ('x"y', "quote in the value"),
    ("Group", [("g1", "G1"), ("g2", "Ж2")]),
]


@pytest.mark.parametrize("value", ["", "a", "g2", 'x"y', None, ["a"], "not offered"])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"id": "id_f", "aria-invalid": "true", "aria-describedby": "id_f_error", "required": True, "disabled": False},
    ],
)
def test_it_renders_what_djangos_select_renders(value: Any, attrs: dict[str, Any] | None) -> None:
    ours = QuickSelect(choices=CHOICES).render("f", value, attrs)
    djangos = forms.Select(choices=CHOICES).render("f", value, attrs)

    # Attribute order may differ (flatatt sorts); the elements, attributes and text may not.
    assert parse_html(ours) == parse_html(djangos)
    assert "<one>" not in ours and "&lt;one&gt;" in ours


def test_a_model_choice_field_uses_it_and_keeps_the_chosen_row_selected(db: None) -> None:
    from refuge.relocation.models import Pathway
    from refuge.workspace.fields import PathwayChoiceField

    class Form(forms.Form):
        pathway = PathwayChoiceField(label="Pathway", queryset=Pathway.objects.order_by("pk"), required=False)

    first = Pathway.objects.order_by("pk").first()
    assert first is not None
    html = str(Form({"pathway": str(first.pk)})["pathway"])

    assert f'<option value="{first.pk}" selected>' in html
    assert html.count("<option") == Pathway.objects.count() + 1


def test_the_time_zone_choice_of_a_check_in_schedule_uses_it() -> None:
    from refuge.workspace.forms_safety import ScheduleForm

    field = ScheduleForm()["zone"]
    assert isinstance(field.field.widget, QuickSelect)
    djangos = forms.Select(choices=field.field.choices).render("zone", "Europe/Moscow", {"id": "id_zone"})
    assert parse_html(str(field)) == parse_html(djangos)
    assert '<option value="Europe/Moscow" selected>' in str(field)
