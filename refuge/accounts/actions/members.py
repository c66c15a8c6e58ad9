"""Members: created by an administrator, their sessions ended, deactivated, unlocked; the last coordinators guarded."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from refuge.accounts.actions.base import Enrolment, audit_member, new_member
from refuge.accounts.grants import lock_members_of, queue_role_grants, withdraw_grants
from refuge.accounts.models import Organisation, Role, User
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.keyring.actions.wraps import do_remove_member_everywhere


def do_create_member(
    *, actor: User | None, organisation: Organisation, username: str, role: str, password: str
) -> Enrolment:
    """Create an enrolled member directly (the `refuge createuser` command)."""
    with transaction.atomic():
        # Before the member's row: see lock_members_of.
        lock_members_of(organisation.id)
        enrolment = new_member(organisation, username, role, password)
        enrolment.user.totp_confirmed = True
        enrolment.user.save(update_fields=["totp_confirmed"])
        audit_member(
            AuditEvent.MEMBER_CREATED,
            actor_id=actor.id if actor else None,
            organisation_id=organisation.id,
            member_id=enrolment.user.id,
        )
        # The keys of the role are owed, not given: a holder approves each one.
        queue_role_grants(member=enrolment.user, requested_by=actor)
    return enrolment


def do_revoke_sessions(*, actor: User, member: User) -> int:
    """End every session of a member (a lost or seized laptop); returns how many."""
    _require_same_org_admin(actor, member)
    with transaction.atomic():
        count, _unused = member.sessions.all().delete()
        audit_member(
            AuditEvent.SESSIONS_REVOKED, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=member.id
        )
    return count


def do_revoke_own_sessions(*, actor: User) -> int:
    """End every session of one's own account, e.g. after using a borrowed computer."""
    with transaction.atomic():
        count, _unused = actor.sessions.all().delete()
        audit_member(
            AuditEvent.SESSIONS_REVOKED, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=actor.id
        )
    return count


def do_deactivate_member(*, actor: User, member: User) -> int:
    """A member leaves: no login, no sessions, no key wraps; their keys are marked for rotation."""
    _require_same_org_admin(actor, member)
    if member.pk == actor.pk:
        raise UserError("not_self", _("You cannot deactivate your own account."))
    # Deactivation destroys key wraps and cannot be undone: one administrator must not be
    # able to lock the organisation out of its own cases (issue #16.6).
    if member.role == Role.COORDINATOR and actor.role != Role.COORDINATOR:
        raise UserError("coordinator_needs_coordinator", _("Only a coordinator can deactivate a coordinator."))
    with transaction.atomic():
        # Locked, so that two coordinators deactivating each other at once leave one.
        Organisation.objects.select_for_update().get(pk=member.organisation_id)
        if member.role == Role.COORDINATOR and not _other_active_coordinators(member).exists():
            raise UserError(
                "last_coordinator",
                _("At least one coordinator must remain active. Invite another coordinator first."),
            )
        member.is_active = False
        member.save(update_fields=["is_active"])
        member.sessions.all().delete()
        removed = do_remove_member_everywhere(actor=actor, member=member)
        withdraw_grants(actor=actor, member=member)
        audit_member(
            AuditEvent.MEMBER_DEACTIVATED, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=member.id
        )
    return removed


def _other_active_coordinators(member: User) -> QuerySet[User]:
    return User.objects.filter(organisation_id=member.organisation_id, role=Role.COORDINATOR, is_active=True).exclude(
        pk=member.pk
    )


def do_unlock_member(*, actor: User, member: User) -> None:
    """Lift a lockout (failed logins or duress) after a coordinator has checked on the member."""
    _require_same_org_admin(actor, member)
    with transaction.atomic():
        User.objects.filter(pk=member.pk).update(failed_logins=0, locked_until=None, locked_by_duress=False)
        audit_member(
            AuditEvent.ACCOUNT_UNLOCKED, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=member.id
        )


def _require_same_org_admin(actor: User, member: User) -> None:
    # Access helpers already return 404 for other organisations; this is the
    # second wall in case an action is called from elsewhere.
    if actor.organisation_id != member.organisation_id or actor.role not in {Role.ADMINISTRATOR, Role.COORDINATOR}:
        raise UserError("not_allowed", _("This action is not allowed."))
