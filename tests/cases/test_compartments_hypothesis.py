"""Property tests of the compartment schema's cleaning (refuge/cases/compartments.py, `clean_content`).

Every compartment write goes through `clean_content` before it is encrypted, so what it
accepts is what is stored. For any kind and any JSON-like data it must:

- refuse with a UserError, and never fail any other way (a view turns a UserError into a
  message next to the form; anything else is a 500);
- keep only the schema's fields (the contact graph: only name, relation and details);
- be idempotent: what it stored, cleaned again, is the same (a compartment saved twice
  without a change stays as it is).

Two inputs once broke these and have a test each below: a text field of whitespace only
(left out like an empty one) and a contact whose relation is a list or an object (refused
with a UserError).
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from refuge.cases.compartments import CONTACT_FIELDS, FIELDS, RELATIONS, clean_content
from refuge.cases.models import CompartmentKind
from refuge.core.errors import UserError

CLEAN_SETTINGS = settings(max_examples=300, deadline=None)
KINDS = [str(kind) for kind in CompartmentKind.values]
FIELD_NAMES = {kind: [field.name for field in fields] for kind, fields in FIELDS.items()}
CONTACT_KEYS = {field.name for field in CONTACT_FIELDS}

# Text a person or a hostile client can send: control characters, RTL marks, emoji,
# joiners, lone surrogates, whitespace of every kind; and text just over the limits.
SPECIAL = ["\x00", "\x1b", "\x1f", "\u202e", "\u200d", "\ufeff", "\u2028", "\ud800", "\udfff", "🏳️‍🌈", "שלום", "مرحبا"]
texts = st.one_of(
    st.text(st.characters(codec=None, categories=None), max_size=40),
    st.lists(st.sampled_from(SPECIAL) | st.text(max_size=5), max_size=8).map("".join),
    st.sampled_from([200, 201, 5000, 5001]).map(lambda n: "я" * n),
    st.sampled_from([" " * 300 + "x", "x" + "\t" * 300, "\n" * 6000]),
)
dates = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.dates(),
    st.sampled_from(["2025-02-30", "2025-13-01", "20250101", "2025-W01-1", "0000-01-01", "9999-12-31", ""]),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), texts, dates)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
)
relations = st.one_of(st.sampled_from(list(RELATIONS)), texts, st.integers(), st.none())
contacts = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {"name": texts, "relation": relations},
            optional={"details": st.one_of(texts, st.none(), st.integers()), "extra": json_values},
        ),
        json_values,
    ),
    max_size=4,
)


@st.composite
def compartment_data(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A kind (sometimes not one) and data: the kind's fields, others, and any values."""
    kind = draw(st.sampled_from(KINDS) | texts)
    known = FIELD_NAMES.get(kind, [])
    data: dict[str, Any] = {}
    for name in known:
        if draw(st.booleans()):
            is_date = any(field.name == name and field.kind == "date" for field in FIELDS[kind])
            data[name] = draw(dates | json_values if is_date else texts | json_values)
    if kind == CompartmentKind.CONTACTS and draw(st.booleans()):
        data["contacts"] = draw(contacts | json_values)
    data.update(draw(st.dictionaries(st.text(max_size=12), json_values, max_size=3)))
    return kind, data


def _clean(kind: str, data: dict[str, Any]) -> dict[str, Any] | UserError:
    try:
        return clean_content(kind, data)
    except UserError as error:
        return error


@CLEAN_SETTINGS
@given(compartment_data())
@example((CompartmentKind.IDENTITY, {"legal_name": "  Иван\u202e  ", "date_of_birth": "20250101"}))
@example((CompartmentKind.CONTACTS, {"contacts": [{"name": " x ", "relation": "threat", "details": None}]}))
def test_clean_content_refuses_only_with_a_user_error_keeps_only_known_fields_and_is_idempotent(
    given_data: tuple[str, dict[str, Any]],
) -> None:
    kind, data = given_data
    cleaned = _clean(kind, data)  # anything but a UserError fails the test here
    if isinstance(cleaned, UserError):
        return
    if kind == CompartmentKind.CONTACTS:
        assert set(cleaned) == {"contacts"}
        for entry in cleaned["contacts"]:
            assert set(entry) == CONTACT_KEYS
            assert entry["relation"] in RELATIONS
            assert all(isinstance(value, str) for value in entry.values())
    else:
        assert set(cleaned) <= set(FIELD_NAMES[kind])
        for field in FIELDS[kind]:
            value = cleaned.get(field.name)
            if value is None:
                continue
            assert isinstance(value, str) and value  # empty values are left out
            assert len(value) <= field.max_chars
            if field.kind == "date":
                assert datetime.date.fromisoformat(value).isoformat() == value
            else:
                assert value == value.strip()
                assert not any(ord(ch) < 32 and ch not in "\r\n\t" for ch in value)
    assert clean_content(kind, cleaned) == cleaned


def test_a_text_field_of_whitespace_only_is_left_out_like_an_empty_one() -> None:
    cleaned = clean_content(CompartmentKind.MEDICAL, {"medical_needs": "   ", "medical_notes": "x"})
    assert cleaned == {"medical_notes": "x"}
    assert clean_content(CompartmentKind.MEDICAL, cleaned) == cleaned


@pytest.mark.parametrize("relation", [[], {}], ids=["list", "object"])
def test_a_contact_whose_relation_is_not_a_string_is_refused_with_a_user_error(relation: Any) -> None:
    with pytest.raises(UserError):
        clean_content(CompartmentKind.CONTACTS, {"contacts": [{"name": "Aslan", "relation": relation}]})
