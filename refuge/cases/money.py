"""Money: amounts in minor units (cents, kopecks) as integers, per ISO 4217 currency; no floats.

An amount is stored as an integer count of the currency's minor unit, so 1 234,50 RUB is
123450. Amounts in different currencies are never added together or converted: totals
are kept per currency. `parse_amount` reads what a person types in either language
("1 234,50", "1234.50", "1,234.50", "1.234,50"); `format_amount` writes it back in the
reader's language.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from refuge.core.errors import UserError

# Digits after the decimal separator (ISO 4217 minor unit) of each currency offered.
MINOR_DIGITS: dict[str, int] = {
    "RUB": 2,
    "EUR": 2,
    "USD": 2,
    "GEL": 2,
    "TRY": 2,
    "AMD": 2,
    "KZT": 2,
    "UAH": 2,
    "GBP": 2,
    "CAD": 2,
    "AZN": 2,
    "KGS": 2,
    "UZS": 2,
    "BYN": 2,
    "PLN": 2,
    "CZK": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "ILS": 2,
    "AUD": 2,
}
# The largest amount, in whole units of any currency (a budget or one expense).
MAX_WHOLE_UNITS = 10_000_000
# Longer input is refused before it is looked at.
MAX_TYPED_CHARS = 40

# Spaces people and locales put between groups of digits: space, no-break, narrow no-break, thin.
_GROUP_SPACES = re.compile("[ \u00a0\u202f\u2009]")
_PLAIN = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
# Grouped with dots and a decimal comma (1.234,50), or with commas and a decimal dot (1,234.50).
_GROUPED = {
    ".": re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]+))?"),
    ",": re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?"),
}

BAD_AMOUNT = _("Enter an amount such as 1234.50 or 1 234,50.")
AMBIGUOUS = _("Is this thousands or a fraction? Write 1234 or 1234.50, without the thousands separator.")
OUT_OF_RANGE = _("Enter an amount between 0.01 and 10,000,000.")
# A budget may be nothing at all (no money to spend on the case), an expense may not.
BUDGET_OUT_OF_RANGE = _("Enter an amount between 0 and 10,000,000.")


def minor_digits(currency: str) -> int:
    """How many digits the currency's minor unit has; UserError for a currency not offered."""
    if currency not in MINOR_DIGITS:
        raise UserError("bad_currency", _("Choose a currency."), field="currency")
    return MINOR_DIGITS[currency]


def max_minor(currency: str) -> int:
    return MAX_WHOLE_UNITS * 10 ** minor_digits(currency)


def parse_amount(typed: str, currency: str, *, field: str = "amount", zero: bool = False) -> int:
    """The amount typed, in minor units of the currency; UserError with a clear message otherwise.

    `zero`: 0 is an amount (a budget), not a mistake (an expense)."""
    digits = minor_digits(currency)
    text = _GROUP_SPACES.sub("", typed.strip()) if len(typed) <= MAX_TYPED_CHARS else ""
    whole, fraction = _split(text, field)
    if len(fraction) > digits:
        if digits == 0:
            raise UserError("bad_amount", _("This currency has no fractions: enter a whole number."), field=field)
        message = _("At most %(digits)s digits after the decimal separator.") % {"digits": digits}
        raise UserError("bad_amount", message, field=field)
    minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
    if not (0 if zero else 1) <= minor <= max_minor(currency):
        raise UserError("bad_amount", BUDGET_OUT_OF_RANGE if zero else OUT_OF_RANGE, field=field)
    return minor


def _split(text: str, field: str) -> tuple[str, str]:
    """(whole digits, fraction digits) of a typed amount without spaces."""
    if _PLAIN.fullmatch(text):
        whole, _sep, fraction = text.replace(",", ".").partition(".")
        if len(fraction) == 3 and whole != "0":
            # "1,234" is 1234 in English and 1.234 in Russian: a factor of a thousand is not guessed.
            raise UserError("ambiguous_amount", AMBIGUOUS, field=field)
        return whole, fraction
    for group, pattern in _GROUPED.items():
        match = pattern.fullmatch(text)
        if match is not None:
            return match.group(1).replace(group, ""), match.group(2) or ""
    raise UserError("bad_amount", BAD_AMOUNT, field=field)


def format_amount(minor: int, currency: str) -> str:
    """The amount in the reader's language: 1,234.50 in English, 1 234,50 in Russian (no-break spaces)."""
    digits = MINOR_DIGITS.get(currency, 2)
    whole, fraction = divmod(minor, 10**digits)
    russian = (get_language() or "en").startswith("ru")
    grouped = f"{whole:,}".replace(",", "\u00a0" if russian else ",")
    if digits == 0:
        return grouped
    return f"{grouped}{',' if russian else '.'}{fraction:0{digits}d}"
