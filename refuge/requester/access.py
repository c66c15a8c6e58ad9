"""How the portal reaches an organisation: by its public short name, or the common 404."""

from __future__ import annotations

from django.http import Http404

from refuge.accounts.models import Organisation


def access_portal_organisation(slug: str) -> Organisation:
    """The organisation whose portal this is; an unknown name is the same 404 as any missing page."""
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        raise Http404
    return organisation
