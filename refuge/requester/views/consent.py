"""The team's consent questions as the request page shows them (the answer: `request.consent_view`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from refuge.cases.compartments import FIELDS
from refuge.disclosures.letters import LetterKind
from refuge.disclosures.portal import AskedConsent, open_questions
from refuge.intake.models import HelpRequest

_LABELS = {f"{kind}.{field.name}": field.label for kind, fields in FIELDS.items() for field in fields}


@dataclass(frozen=True)
class ShownQuestion:
    asked: AskedConsent
    labels: list[str]  # the fields, the documents and the letter, in the reader's language


def _labels(asked: AskedConsent) -> list[str]:
    labels = [str(_LABELS.get(n, n)) for n in asked.fields]
    labels += [_("The document “%(name)s”") % {"name": name} for name in asked.documents]
    if asked.letter in LetterKind.values:
        labels.append(_("A letter: %(kind)s") % {"kind": LetterKind(asked.letter).label})
    return labels


def consent_questions(request: HelpRequest, secret: bytes) -> list[ShownQuestion]:
    return [ShownQuestion(asked, _labels(asked)) for asked in open_questions(request, secret)]
