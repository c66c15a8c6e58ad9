"""What the portal reads besides requests: the organisation's own questions."""

from __future__ import annotations

from refuge.accounts.models import Organisation
from refuge.intake.models import IntakeQuestion


def portal_questions(organisation: Organisation) -> list[IntakeQuestion]:
    """The organisation's active questions, in their order on the form."""
    return list(IntakeQuestion.objects.filter(organisation=organisation, active=True).order_by("position", "id"))
