"""Who may reach an application: the team of its case, through the case (the same 404 otherwise)."""

from __future__ import annotations

import uuid

from django.http import Http404

from refuge.applications.models import Application
from refuge.cases.models import Case, Person


def access_application(case: Case, application_id: uuid.UUID | str) -> Application:
    """An application of this case (reached through `access_case`); 404 for any other id."""
    try:
        wanted = uuid.UUID(str(application_id))
    except ValueError:
        raise Http404 from None
    application = (
        Application.objects.select_related("key", "case", "pathway", "person").filter(pk=wanted, case=case).first()
    )
    if application is None:
        raise Http404
    return application


def access_case_person(case: Case, person_id: uuid.UUID | str) -> Person:
    """A person of this case; 404 for any other id."""
    try:
        wanted = uuid.UUID(str(person_id))
    except ValueError:
        raise Http404 from None
    person = Person.objects.filter(pk=wanted, case=case).first()
    if person is None:
        raise Http404
    return person
