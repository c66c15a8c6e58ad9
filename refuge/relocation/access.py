"""Who may reach which pathway: the shared catalogue and their organisation's own, never another's."""

from __future__ import annotations

from django.http import Http404

from refuge.accounts.models import Role, User
from refuge.relocation.models import Pathway
from refuge.relocation.queries import pathways_of

# The roles that work on cases read the catalogue; coordinators manage it (relocation is below
# cases, so the set is written here: the same three roles as cases.access.CASE_ROLES).
PATHWAY_READERS = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.INTAKE})


def can_manage_pathways(user: User) -> bool:
    return user.role == Role.COORDINATOR and user.is_active


def access_pathway(user: User, pathway_id: object) -> Pathway:
    """A shared pathway or one of the member's organisation; the same 404 for missing and another's."""
    if user.role not in PATHWAY_READERS or not user.is_active:
        raise Http404
    try:
        wanted = int(str(pathway_id))
    except ValueError:
        raise Http404 from None
    pathway = pathways_of(user.organisation_id, active_only=False).filter(pk=wanted).first()
    if pathway is None:
        raise Http404
    return pathway


def access_pathway_to_manage(user: User, pathway_id: object) -> Pathway:
    """As `access_pathway`, for a coordinator only (404 for every other role)."""
    if not can_manage_pathways(user):
        raise Http404
    return access_pathway(user, pathway_id)


def access_shared_pathway(user: User, pathway_id: object) -> Pathway:
    """A pathway of the shared catalogue only: what a member of a new organisation reaches.

    A duress session's pathway page (refuge/workspace/views/applications_duress.py): the
    organisation's private pathways answer the same 404 as a missing one."""
    if user.role not in PATHWAY_READERS or not user.is_active:
        raise Http404
    try:
        wanted = int(str(pathway_id))
    except ValueError:
        raise Http404 from None
    pathway = Pathway.objects.filter(pk=wanted, organisation__isnull=True).first()
    if pathway is None:
        raise Http404
    return pathway
