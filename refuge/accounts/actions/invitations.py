"""Invitations: an enrolment link, approved by a coordinator for content roles, redeemed once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.actions.base import Enrolment, audit_member, check_username, new_member
from refuge.accounts.grants import lock_members_of, queue_role_grants
from refuge.accounts.models import CONTENT_ROLES, Invitation, InvitationApproval, Role, User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError

INVITATION_DAYS = 7


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def do_invite_member(*, actor: User, username: str, role: str) -> str:
    """Create a one-time enrolment token for a new member; only its hash is kept."""
    if actor.role not in {Role.ADMINISTRATOR, Role.COORDINATOR}:
        raise UserError("not_allowed", _("Only administrators and coordinators can invite members."))
    if role not in Role.values:
        raise UserError("bad_role", _("Choose one of the roles."), field="role")
    username = check_username(username)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        taken = User.objects.filter(organisation=actor.organisation, username=username).exists()
        pending = Invitation.objects.filter(
            organisation=actor.organisation, username=username, used=False, expires_at__gt=timezone.now()
        ).exists()
        if taken or pending:
            raise UserError("username_taken", _("This username is already used here."), field="username")
        invitation = Invitation.objects.create(
            organisation=actor.organisation,
            token_hash=_hash_token(token),
            username=username,
            role=role,
            created_by=actor,
            expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
            approval=_approval_needed(actor, role),
        )
        record(
            AuditEvent.MEMBER_INVITED,
            actor_id=actor.id,
            organisation_id=actor.organisation_id,
            object_type="invitation",
            object_id=invitation.id,
        )
    return token


def _approval_needed(actor: User, role: str) -> str:
    """An administrator's invitation to a content role waits for a coordinator."""
    # Threat: a phished, coerced or planted administrator invites an account of their own
    # as intake or caseworker and so reads every request. Content needs a content holder's
    # consent: a coordinator approves the invitation before the link works.
    if actor.role == Role.ADMINISTRATOR and role in CONTENT_ROLES:
        return InvitationApproval.PENDING
    return InvitationApproval.NOT_NEEDED


AWAITING_APPROVAL = _("A coordinator has not approved this enrolment link yet. Try it again later.")


def access_invitation(token: str) -> Invitation:
    """Find a live invitation by its token, or refuse without saying why."""
    invitation = (
        Invitation.objects.select_related("organisation")
        .filter(token_hash=_hash_token(token or ""), used=False, expires_at__gt=timezone.now())
        .exclude(approval=InvitationApproval.REFUSED)
        .first()
    )
    if invitation is None:
        raise UserError("bad_invitation", _("This enrolment link is not valid. Ask for a new one."))
    if invitation.approval == InvitationApproval.PENDING:
        raise UserError("invitation_awaiting_approval", AWAITING_APPROVAL)
    return invitation


def do_enrol(*, token: str, password: str) -> Enrolment:
    """Use an invitation: create the member's keys; TOTP is confirmed in a second step."""
    with transaction.atomic():
        invitation = access_invitation(token)
        # Mark used first: a replayed form cannot create a second account.
        if Invitation.objects.filter(pk=invitation.pk, used=False).update(used=True) != 1:
            raise UserError("bad_invitation", _("This enrolment link is not valid. Ask for a new one."))
        # Before the member's row: see lock_members_of.
        lock_members_of(invitation.organisation_id)
        enrolment = new_member(invitation.organisation, invitation.username, invitation.role, password)
        audit_member(
            AuditEvent.MEMBER_ENROLLED,
            actor_id=enrolment.user.id,
            organisation_id=invitation.organisation_id,
            member_id=enrolment.user.id,
        )
        # Owed on behalf of whoever let the member in (the approving coordinator, or the
        # inviter); a holder still approves each key.
        queue_role_grants(member=enrolment.user, requested_by=invitation.decided_by or invitation.created_by)
    return enrolment
