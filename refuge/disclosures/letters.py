"""Support letters: a PDF in Russian or English, filled from the fields chosen for a packet (issue #14).

An embassy desk, a resettlement programme or a border guard reads a letter, not a JSON file. A
letter is one of three kinds in the language the caseworker chooses, filled with the packet's
chosen fields and nothing else: it goes through the packet's consent and approval, and travels
inside the packet as `letter.pdf` (docs/disclosures.md). Each kind and language has a built-in
text here, reviewed with the code that fills it; an organisation's coordinators may write their
own (refuge/disclosures/letter_templates.py), checked by `checked_part`: plain text with the
placeholders {org}, {date} and {purpose} only. The field labels come from the compartments'
translated labels.
"""

from __future__ import annotations

import string
from dataclasses import asdict, dataclass
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from refuge.cases.compartments import FIELDS
from refuge.core.errors import UserError, too_long
from refuge.disclosures.pdf import new_pdf


class LetterKind(models.TextChoices):
    VISA = "visa", _("Support for a humanitarian visa application")
    RESETTLEMENT = "resettlement", _("Resettlement referral")
    BORDER = "border", _("Letter for a border guard or the police")


class LetterLanguage(models.TextChoices):
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


@dataclass(frozen=True)
class Template:
    """A letter's wording; each part may hold the placeholders {org}, {date} and {purpose}."""

    title: str
    addressee: str
    opening: str
    closing: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


# The parts of a letter's wording, in reading order, and how long each may be.
PARTS: dict[str, int] = {"title": 200, "addressee": 500, "opening": 4_000, "closing": 4_000}
# What a template may say about the packet: the sending organisation's name, the day the packet
# was prepared, and the purpose the caseworker wrote (all three are in packet.json too). Nothing
# else: a placeholder cannot reach a field the caseworker did not choose.
PLACEHOLDERS = ("org", "date", "purpose")


TEMPLATES: dict[str, dict[str, Template]] = {
    LetterKind.VISA: {
        "en": Template(
            "Letter of support for a humanitarian visa application",
            "To the consular section",
            "{org} assists people who are persecuted in their country and must leave it. We know the "
            "situation of the person named below from our own work with them, and we support their "
            "application for a humanitarian visa: staying where they are puts their life and freedom at risk.",
            "We ask you to consider the application with priority. We confirm this letter on request "
            "through the channel by which you received it.",
        ),
        "ru": Template(
            "Письмо поддержки заявления на гуманитарную визу",
            "В консульский отдел",
            "{org} помогает людям, которых преследуют в их стране и которым нужно её покинуть. Мы знаем "
            "о положении человека, указанного ниже, по нашей работе с ним и поддерживаем его заявление на "
            "гуманитарную визу: оставаясь на месте, он рискует жизнью и свободой.",
            "Просим рассмотреть заявление в приоритетном порядке. Мы подтвердим это письмо по запросу, "
            "отправленному тем же путём, которым вы его получили.",
        ),
    },
    LetterKind.RESETTLEMENT: {
        "en": Template(
            "Resettlement referral",
            "To the resettlement programme",
            "{org} refers the person named below for resettlement. They are persecuted in their country, "
            "cannot find safety there, and we have worked with them on their case.",
            "We are ready to answer your questions about this referral through the channel by which you received it.",
        ),
        "ru": Template(
            "Направление на переселение",
            "В программу переселения",
            "{org} направляет указанного ниже человека на переселение. Его преследуют в его стране, "
            "безопасности там он найти не может, и мы работали с ним по его делу.",
            "Мы готовы ответить на ваши вопросы об этом направлении тем же путём, которым вы его получили.",
        ),
    },
    LetterKind.BORDER: {
        "en": Template(
            "Letter for the border guard or the police",
            "To the border guard or police officer",
            "{org} knows the bearer of this letter, the person named below, and assists them on their way to safety.",
            "We ask you to let them continue their journey and to contact us through the organisation "
            "that gave them this letter if you have questions.",
        ),
        "ru": Template(
            "Письмо для пограничной службы или полиции",
            "Сотруднику пограничной службы или полиции",
            "{org} знает предъявителя этого письма, указанного ниже человека, и помогает ему на пути "
            "в безопасное место.",
            "Просим позволить ему продолжить путь, а с вопросами обращаться к нам через организацию, "
            "выдавшую это письмо.",
        ),
    },
}

# The words of the letter's frame, by language.
_WORDS = {
    "en": {"date": "Date", "person": "Person {n}", "signed": "For {org}"},
    "ru": {"date": "Дата", "person": "Лицо {n}", "signed": "От имени: {org}"},
}
_LABELS = {(kind, field.name): field.label for kind, fields in FIELDS.items() for field in fields}


@dataclass(frozen=True)
class Letter:
    """A letter's text in reading order: what the PDF shows and the packet page previews."""

    language: str
    title: str
    addressee: str
    date_line: str
    opening: str
    people: list[tuple[str, list[tuple[str, str]]]]  # (heading, [(label, value)]) per person
    closing: str
    signature: str


def _placeholders(text: str) -> list[tuple[str, str | None]]:
    """The text as (literal, placeholder or None) pieces; UserError for a brace left open or a placeholder unknown."""
    try:
        pieces = list(string.Formatter().parse(text))
    except ValueError:
        raise UserError(
            "bad_braces",
            _(
                "A brace is not closed. Write a placeholder as {org}, {date} or {purpose}, and a brace itself as {{ or }}."
            ),
        ) from None
    for _literal, name, spec, conversion in pieces:
        # Only a bare name: "{org.__class__}", "{org!r}" or "{org:>9}" are refused, never evaluated.
        if name is not None and (name not in PLACEHOLDERS or spec or conversion):
            shown = "{" + name[:40] + (f"!{conversion}" if conversion else "") + (f":{spec[:40]}" if spec else "") + "}"
            raise UserError(
                "unknown_placeholder",
                _("Unknown placeholder %(placeholder)s: use {org}, {date} or {purpose}.") % {"placeholder": shown},
            )
    return [(literal, name) for literal, name, _spec, _conversion in pieces]


def checked_part(part: str, text: str) -> str:
    """One part of a letter's wording as it is stored, or UserError next to it (empty, too long, bad placeholder)."""
    text = (text or "").strip()
    if not text:
        raise UserError("required", _("Write this part of the letter."), field=part)
    if len(text) > PARTS[part]:
        raise UserError("too_long", too_long(PARTS[part]), field=part)
    try:
        _placeholders(text)
    except UserError as error:
        raise UserError(error.code, error.message, field=part) from None
    return text


def checked_template(parts: dict[str, str]) -> Template:
    """A whole wording, each part checked (the first refusal raised)."""
    return Template(**{part: checked_part(part, parts.get(part, "")) for part in PARTS})


def fill(text: str, values: dict[str, str]) -> str:
    """A checked part with its placeholders replaced by their values (never str.format: nothing is evaluated)."""
    return "".join(literal + (values[name] if name else "") for literal, name in _placeholders(text))


def letter_of(content: dict[str, Any], wording: Template | None = None) -> Letter | None:
    """The support letter of a packet's content, filled with its chosen fields only; None if none was asked.

    The wording is the one the packet was produced with (kept in its content at approval), else
    `wording` (the organisation's own), else the built-in text."""
    chosen = content.get("letter")
    if not chosen:
        return None
    language = chosen["language"]
    if chosen.get("text"):
        template = Template(**{part: str(chosen["text"].get(part, "")) for part in PARTS})
    else:
        template = wording or TEMPLATES[chosen["kind"]][language]
    words = _WORDS[language]
    org = content["from"]
    values = {"org": org, "date": str(content["prepared_on"]), "purpose": str(content.get("purpose", ""))}
    people = []
    with translation.override(language):
        for number, person in enumerate(content["people"], start=1):
            rows = []
            for item in person["fields"]:
                kind, _dot, field = item["name"].partition(".")
                rows.append((str(_LABELS.get((kind, field), item["label"])), item["value"]))
            people.append((words["person"].format(n=number), rows))
    return Letter(
        language,
        fill(template.title, values),
        fill(template.addressee, values),
        f"{words['date']}: {content['prepared_on']}",
        fill(template.opening, values),
        people,
        fill(template.closing, values),
        words["signed"].format(org=org),
    )


def letter_pdf(letter: Letter) -> bytes:
    """The letter as a PDF (DejaVu Sans embedded: Cyrillic and Latin)."""
    pdf = new_pdf(letter.title)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(0, 6, letter.date_line, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 6, letter.addressee, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, letter.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 11)
    pdf.multi_cell(0, 6, letter.opening, new_x="LMARGIN", new_y="NEXT")
    for heading, rows in letter.people:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 11)
        for label, value in rows:
            pdf.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, letter.closing, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.multi_cell(0, 6, letter.signature, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
