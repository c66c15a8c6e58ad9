"""The team's consent questions as the request page shows them (the answer: `request.consent_view`)."""

from __future__ import annotations

from dataclasses import dataclass

from refuge.cases.compartments import FIELDS
from refuge.disclosures.portal import AskedConsent, open_questions
from refuge.intake.models import HelpRequest

_LABELS = {f"{kind}.{field.name}": field.label for kind, fields in FIELDS.items() for field in fields}


@dataclass(frozen=True)
class ShownQuestion:
    asked: AskedConsent
    labels: list[str]  # the fields, in the reader's language


def consent_questions(request: HelpRequest, secret: bytes) -> list[ShownQuestion]:
    return [
        ShownQuestion(asked, [str(_LABELS.get(n, n)) for n in asked.fields])
        for asked in open_questions(request, secret)
    ]
