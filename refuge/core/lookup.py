"""Fetching one object by the id a URL carries, with one answer for every miss.

Every `access_*` function ends the same way: the id from the URL is parsed, the object is
looked up *inside the scope the caller may see* (an organisation, a case, the shelters
visible to a member), and anything else — a malformed id, an id that does not exist, an
id of someone else's object — is the same 404, so that ids reveal nothing
(docs/threat-model.md). These two functions are that ending, written once.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.db import models
from django.http import Http404

Row = TypeVar("Row", bound=models.Model)


def uuid_or_404(value: uuid.UUID | str) -> uuid.UUID:
    """The id as a UUID; a malformed one is a 404 like a missing one."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404 from None


def by_id_or_404(scope: models.QuerySet[Row], object_id: uuid.UUID | str, *, id_field: str = "pk", **more: Any) -> Row:
    """The one row of `scope` whose `id_field` is `object_id` (and that matches `more`); else 404.

    `scope` is already narrowed to what the caller may reach, so a row outside it is
    answered exactly like a row that does not exist.
    """
    row = scope.filter(**{id_field: uuid_or_404(object_id)}, **more).first()
    if row is None:
        raise Http404
    return row
