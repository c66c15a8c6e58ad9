"""What each compartment holds: its fields, their limits, what is indexed, what expires.

The content of a compartment is one JSON object encrypted under its key. This module
is the schema: actions clean every write with `clean_content`, forms are built from
FIELDS, and the blind indexes and expiry tasks are derived from the same table.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from refuge.cases.models import CompartmentKind
from refuge.core.errors import UserError, too_long

MAX_SHORT_CHARS = 200
MAX_LONG_CHARS = 5_000
MAX_CONTACTS = 100


@dataclass(frozen=True)
class Field:
    name: str
    label: Promise
    kind: str = "text"  # text (one line), long (several lines), date
    # Blind-index field this value feeds (names, phones, document numbers).
    index: str = ""
    # For dates of documents that expire: the task to create, and how many days before.
    expiry_task: Promise | None = None
    expiry_notice_days: int = 0

    @property
    def max_chars(self) -> int:
        return MAX_LONG_CHARS if self.kind == "long" else MAX_SHORT_CHARS


FIELDS: dict[str, tuple[Field, ...]] = {
    CompartmentKind.IDENTITY: (
        Field("legal_name", _("Legal name (as in the passport)"), index="name"),
        Field("other_names", _("Other names and spellings (one per line)"), "long", index="name"),
        Field("date_of_birth", _("Date of birth"), "date"),
        Field("place_of_birth", _("Place of birth")),
        Field("nationality", _("Nationality (citizenship, one per line)"), "long"),
        Field("phone", _("Phone number"), index="phone"),
        Field("internal_passport_number", _("Internal passport number"), index="document_number"),
        Field("international_passport_number", _("International passport number"), index="document_number"),
        Field(
            "international_passport_expiry",
            _("International passport valid until"),
            "date",
            expiry_task=_("Renew the international passport: it expires on %(date)s"),
            expiry_notice_days=180,
        ),
        Field(
            "visa_expiry",
            _("Visa valid until"),
            "date",
            expiry_task=_("The visa expires on %(date)s: travel or extend before then"),
            expiry_notice_days=30,
        ),
        Field("registered_address", _("Registered address (propiska)"), "long"),
        Field("identity_notes", _("Notes on documents"), "long"),
    ),
    CompartmentKind.SOGIESC: (
        Field("sexual_orientation", _("Sexual orientation")),
        Field("gender_identity", _("Gender identity")),
        Field("gender_expression", _("Gender expression")),
        Field("sex_characteristics", _("Sex characteristics")),
        Field("sogiesc_notes", _("Notes"), "long"),
    ),
    CompartmentKind.MEDICAL: (
        Field("medical_needs", _("Medical needs and injuries"), "long"),
        Field("psychological_needs", _("Psychological support needed"), "long"),
        Field("medication", _("Medication"), "long"),
        Field("medical_notes", _("Notes"), "long"),
    ),
    # The contact graph is a list of entries (CONTACT_FIELDS), not fields.
    CompartmentKind.CONTACTS: (),
    # Written by the arrival record (refuge/applications/travel.py) as much as on this page.
    CompartmentKind.ARRIVAL: (
        Field("first_address", _("First address after arrival"), "long"),
        Field("address_notes", _("Notes"), "long"),
    ),
}
# Fields whose dates make tasks, by name (generated_task_title).
_EXPIRING = {field.name: field for fields in FIELDS.values() for field in fields if field.expiry_task is not None}


class Relation:
    RELATIVE = "relative"
    REFERENCE = "reference"
    KNOWS = "knows"
    THREAT = "threat"


RELATIONS: dict[str, Promise] = {
    Relation.RELATIVE: _("Relative"),
    Relation.REFERENCE: _("Reference (can vouch for them)"),
    Relation.KNOWS: _("Knows about the person"),
    Relation.THREAT: _("Threat"),
}
CONTACT_FIELDS = (
    Field("name", _("Name or description")),
    Field("relation", _("Relation")),
    Field("details", _("Details (how to reach, what they know, what they did)"), "long"),
)


def clean_content(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a compartment: known fields only, stripped, checked; UserError otherwise."""
    if kind not in FIELDS:
        raise UserError("bad_compartment", _("There is no such compartment."))
    if kind == CompartmentKind.CONTACTS:
        return {"contacts": _clean_contacts(data.get("contacts", []))}
    cleaned: dict[str, Any] = {}
    for field in FIELDS[kind]:
        value = data.get(field.name)
        if value in (None, ""):
            continue
        if field.kind == "date":
            cleaned[field.name] = _clean_date(field, value)
        else:
            text = _clean_text(field, value)
            if text:  # whitespace only is left out like an empty field
                cleaned[field.name] = text
    return cleaned


def _clean_text(field: Field, value: Any) -> str:
    if not isinstance(value, str):
        raise UserError("bad_value", _("Enter text."), field=field.name)
    text = value.strip()
    if len(text) > field.max_chars:
        raise UserError("too_long", too_long(field.max_chars), field=field.name)
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text):
        raise UserError("bad_value", _("This contains characters that cannot be stored."), field=field.name)
    return text


def _clean_date(field: Field, value: Any) -> str:
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return datetime.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise UserError("bad_date", _("Enter a date as YYYY-MM-DD."), field=field.name) from None


def _clean_contacts(entries: Any) -> list[dict[str, str]]:
    if not isinstance(entries, list):
        raise UserError("bad_value", _("The contacts could not be read."))
    if len(entries) > MAX_CONTACTS:
        raise UserError("too_many", _("At most %(limit)s contacts per person.") % {"limit": MAX_CONTACTS})
    cleaned = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise UserError("bad_value", _("The contacts could not be read."))
        name = _clean_text(CONTACT_FIELDS[0], entry.get("name", "") or "")
        if not name:
            continue
        relation = entry.get("relation", "")
        if not isinstance(relation, str) or relation not in RELATIONS:
            raise UserError("bad_relation", _("Choose how this contact is related."), field="relation")
        details = _clean_text(CONTACT_FIELDS[2], entry.get("details", "") or "")
        cleaned.append({"name": name, "relation": relation, "details": details})
    return cleaned


def index_values(kind: str, content: dict[str, Any]) -> list[tuple[str, str]]:
    """(blind-index field, raw value) pairs a compartment's content feeds."""
    pairs = []
    for field in FIELDS.get(kind, ()):
        value = content.get(field.name)
        if not field.index or not isinstance(value, str):
            continue
        lines = value.splitlines() if field.kind == "long" else [value]
        pairs += [(field.index, line) for line in lines if line.strip()]
    return pairs


@dataclass(frozen=True)
class Expiry:
    field: str
    expires_on: datetime.date
    due_on: datetime.date
    title: str


def generated_task_title(source: str, due_on: datetime.date | None) -> str | None:
    """The title of a task made from a document's expiry date, in the reader's language.

    Such a task's stored title is in the language of whoever saved the compartment; the
    source names the document field, and the expiry date is its due date plus the notice.
    None for a task someone wrote.
    """
    _, _, name = source.partition(":")
    field = _EXPIRING.get(name)
    if field is None or due_on is None or field.expiry_task is None:
        return None
    expires_on = due_on + datetime.timedelta(days=field.expiry_notice_days)
    return str(field.expiry_task) % {"date": expires_on.isoformat()}


def expiries(kind: str, content: dict[str, Any]) -> list[Expiry]:
    """The documents in a compartment that expire, with the task each needs."""
    found = []
    for field in FIELDS.get(kind, ()):
        value = content.get(field.name)
        if field.expiry_task is None or not isinstance(value, str):
            continue
        expires_on = datetime.date.fromisoformat(value)
        due_on = expires_on - datetime.timedelta(days=field.expiry_notice_days)
        found.append(Expiry(field.name, expires_on, due_on, str(field.expiry_task) % {"date": value}))
    return found
