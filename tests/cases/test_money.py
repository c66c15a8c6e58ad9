"""Amounts in minor units: what people type in either language, what is refused, how it is shown."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from refuge.cases.models import Currency
from refuge.cases.money import MINOR_DIGITS, format_amount, max_minor, parse_amount
from refuge.core.errors import UserError


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("1 234,50", 123450),
        ("1234.50", 123450),
        ("1234,5", 123450),
        ("1,234.50", 123450),
        ("1.234,50", 123450),
        ("1\u00a0234\u202f567,89", 123456789),
        ("1.234.567", 123456700),
        ("  12 ", 1200),
        ("0,01", 1),
        ("10 000 000", 1_000_000_000),
    ],
)
def test_amounts_typed_either_way_are_read_in_minor_units(typed: str, minor: int) -> None:
    assert parse_amount(typed, "RUB") == minor


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abc", "bad_amount"),
        ("", "bad_amount"),
        ("-5", "bad_amount"),
        ("1e5", "bad_amount"),
        ("１２", "bad_amount"),  # full-width digits are not guessed at
        ("1.2.3", "bad_amount"),
        ("1,234", "ambiguous_amount"),  # 1234 in English, 1.234 in Russian
        ("1.234", "ambiguous_amount"),
        ("0.125", "bad_amount"),
        ("0", "bad_amount"),
        ("10000000.01", "bad_amount"),
        ("9" * 41, "bad_amount"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(typed: str, code: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_amount(typed, "EUR")
    assert refused.value.code == code and refused.value.field == "amount"


def test_a_currency_not_offered_is_refused() -> None:
    with pytest.raises(UserError) as refused:
        parse_amount("12", "XYZ")
    assert refused.value.code == "bad_currency"


def test_every_currency_a_case_can_have_has_its_minor_unit() -> None:
    assert set(MINOR_DIGITS) == set(Currency.values)


def test_amounts_are_shown_in_the_readers_language() -> None:
    with translation.override("en"):
        assert format_amount(123456789, "RUB") == "1,234,567.89"
        assert format_amount(5, "EUR") == "0.05"
    with translation.override("ru"):
        assert format_amount(123456789, "RUB") == "1\u00a0234\u00a0567,89"


@given(st.integers(1, max_minor("EUR")), st.sampled_from(["en", "ru"]), st.sampled_from(sorted(MINOR_DIGITS)))
def test_what_is_shown_reads_back_as_the_same_amount(minor: int, language: str, currency: str) -> None:
    with translation.override(language):
        assert parse_amount(format_amount(minor, currency), currency) == minor
