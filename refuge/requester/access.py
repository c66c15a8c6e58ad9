"""How the portal reaches an organisation: by its public short name, or the common 404."""

from __future__ import annotations

from django.http import Http404

from refuge.accounts.models import Organisation
from refuge.core.rows import ReadyQuery

# On every portal page and submission: the SQL is written once, the row read every time
# (a renamed or removed organisation is seen by the next request).
_BY_SLUG = ReadyQuery(lambda slug: Organisation.objects.filter(slug=slug)[:1], [Organisation._meta.get_field("slug")])


def access_portal_organisation(slug: str) -> Organisation:
    """The organisation whose portal this is; an unknown name is the same 404 as any missing page."""
    found = _BY_SLUG.rows(slug)
    if not found:
        raise Http404
    return found[0]
