"""What the portal reads besides requests: the organisation's own questions."""

from __future__ import annotations

from refuge.accounts.models import Organisation
from refuge.core.rows import ReadyQuery
from refuge.intake.models import IntakeQuestion

# On every form page and submission: the SQL is written once, the questions read every time
# (a question changed by a coordinator is on the next form page, and checks the next POST).
_ACTIVE_QUESTIONS = ReadyQuery(
    lambda organisation_id: IntakeQuestion.objects.filter(organisation_id=organisation_id, active=True).order_by(
        "position", "id"
    ),
    [IntakeQuestion._meta.get_field("organisation")],
)


def portal_questions(organisation: Organisation) -> list[IntakeQuestion]:
    """The organisation's active questions, in their order on the form."""
    return _ACTIVE_QUESTIONS.rows(organisation.pk)
