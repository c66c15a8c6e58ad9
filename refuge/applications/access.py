"""Who may reach an application: the team of its case, through the case (the same 404 otherwise)."""

from __future__ import annotations

import uuid

from refuge.applications.models import Application
from refuge.cases.models import Case, Person
from refuge.core.lookup import by_id_or_404


def access_application(case: Case, application_id: uuid.UUID | str) -> Application:
    """An application of this case (reached through `access_case`); 404 for any other id."""
    return by_id_or_404(
        Application.objects.select_related("key", "case", "pathway", "person").filter(case=case), application_id
    )


def access_case_person(case: Case, person_id: uuid.UUID | str) -> Person:
    """A person of this case; 404 for any other id."""
    return by_id_or_404(Person.objects.filter(case=case), person_id)
