"""A coordinator's decision on an administrator's invitation to a content role (issue #16.2).

An administrator manages accounts but sees no content. An invitation they make to a
content role (coordinator, caseworker, intake) does not work until a coordinator approves
it (`refuge.accounts.actions.access_invitation`), so a phished, coerced or planted
administrator cannot give themselves an account that reads requests and cases.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Invitation, InvitationApproval, Organisation, Role, User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.core.lookup import by_id_or_404


def invitations_awaiting_approval(organisation: Organisation) -> QuerySet[Invitation]:
    """Live invitations of the organisation that wait for a coordinator, oldest first."""
    return (
        Invitation.objects.filter(
            organisation=organisation,
            approval=InvitationApproval.PENDING,
            used=False,
            expires_at__gt=timezone.now(),
        )
        .select_related("created_by")
        .order_by("expires_at", "id")
    )


def access_invitation_to_decide(user: User, invitation_id: uuid.UUID | str) -> Invitation:
    """An invitation of the user's organisation waiting for approval, to a coordinator; else 404."""
    if user.role != Role.COORDINATOR:
        raise Http404
    return by_id_or_404(invitations_awaiting_approval(user.organisation), invitation_id)


def do_decide_invitation(*, actor: User, invitation: Invitation, approve: bool) -> None:
    """A coordinator approves or refuses an administrator's invitation to a content role."""
    # Coordinators only: the decision is a content holder's, never an administrator's.
    if actor.role != Role.COORDINATOR or actor.organisation_id != invitation.organisation_id:
        raise UserError("not_allowed", _("This action is not allowed."))
    with transaction.atomic():
        decided = InvitationApproval.APPROVED if approve else InvitationApproval.REFUSED
        changed = Invitation.objects.filter(
            pk=invitation.pk, approval=InvitationApproval.PENDING, used=False, expires_at__gt=timezone.now()
        ).update(approval=decided, decided_by=actor)
        if changed != 1:
            raise UserError("invitation_decided", _("This invitation has already been decided or has expired."))
        record(
            AuditEvent.INVITATION_APPROVED if approve else AuditEvent.INVITATION_REFUSED,
            actor_id=actor.id,
            organisation_id=actor.organisation_id,
            object_type="invitation",
            object_id=invitation.id,
        )
    invitation.approval, invitation.decided_by = decided, actor
