"""The case edit form reads a budget as the expenses form reads an amount: in minor units, typed either way."""

from __future__ import annotations

from typing import Any

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from refuge.cases.models import Currency
from refuge.cases.money import MINOR_DIGITS, format_amount, max_minor
from refuge.relocation.models import Pathway
from refuge.workspace.forms_cases import CaseEditForm

CURRENCIES = st.sampled_from(Currency.values)


def _form(budget: str, currency: str) -> CaseEditForm:
    data = {"version": "3", "priority": "normal", "pathway": "", "budget": budget, "currency": currency, "summary": ""}
    return CaseEditForm(data, pathways=Pathway.objects.none())


def _typed(minor: int, digits: int, style: str) -> str:
    whole, fraction = divmod(minor, 10**digits)
    cents = f"{fraction:0{digits}d}"
    return {
        "dot": f"{whole}.{cents}",
        "comma": f"{whole},{cents}",
        "spaced": f"{whole:,}".replace(",", " ") + f",{cents}",
        "no-break": f"{whole:,}".replace(",", "\u00a0") + f",{cents}",
        "english": f"{whole:,}.{cents}",
        "german": f"{whole:,}".replace(",", ".") + f",{cents}",
    }[style]


@given(
    currency=CURRENCIES,
    fraction_of_max=st.integers(0, 10**9),
    style=st.sampled_from(["dot", "comma", "spaced", "no-break", "english", "german"]),
)
def test_any_budget_typed_either_way_is_read_to_the_cent(currency: str, fraction_of_max: int, style: str) -> None:
    minor = max_minor(currency) * fraction_of_max // 10**9
    form = _form(_typed(minor, MINOR_DIGITS[currency], style), currency)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["budget_minor"] == minor


@given(currency=CURRENCIES, minor=st.integers(0, 10**12), language=st.sampled_from(["en", "ru"]))
def test_the_budget_shown_on_the_edit_form_is_read_back_as_it_was(currency: str, minor: int, language: str) -> None:
    minor %= max_minor(currency) + 1
    with translation.override(language):
        shown = format_amount(minor, currency)
    form = _form(shown, currency)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["budget_minor"] == minor


@given(typed=st.text(max_size=50), currency=CURRENCIES)
def test_anything_typed_is_a_budget_in_range_or_a_translated_error_next_to_it(typed: str, currency: str) -> None:
    form = _form(typed, currency)
    if form.is_valid():
        budget: Any = form.cleaned_data["budget_minor"]
        assert budget is None if not typed.strip() else 0 <= budget <= max_minor(currency)
    else:
        assert set(form.errors) == {"budget"}
        with translation.override("ru"):
            assert all(any("а" <= c <= "я" for c in str(e)) for e in _form(typed, currency).errors["budget"])


def test_an_empty_budget_is_no_budget_and_zero_is_a_budget() -> None:
    empty = _form("", "EUR")
    assert empty.is_valid() and empty.cleaned_data["budget_minor"] is None
    zero = _form("0", "EUR")
    assert zero.is_valid() and zero.cleaned_data["budget_minor"] == 0
