"""Staff under coercion: "lock me out now", and the organisation-wide emergency lock for a raid.

Threat: a member about to be made to unlock their laptop or phone, or an office being
raided. Locking ends every session at once (a seized browser's cookie opens nothing any
more: the session rows that hold the wrapped private keys are deleted) and no password
opens the account again. One member's lock is lifted by a coordinator or administrator
who has checked on them (the unlock on the members page); the organisation's only with
its recovery shares, which no single person holds.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.actions.organisation import check_recovery_shares
from refuge.accounts.models import Organisation, StaffSession, User
from refuge.accounts.notices import Kind, owe_notice
from refuge.audit.actions import record
from refuge.core.errors import UserError
from refuge.safety import clock
from refuge.safety.audit_events import SafetyEvent
from refuge.safety.models import EmergencyLock


def do_lock_myself_out(*, actor: User) -> int:
    """Lock one's own account and end all its sessions; returns how many sessions ended."""
    with transaction.atomic():
        # The duress lock: no password or recovery key opens the account until it is unlocked.
        User.objects.filter(pk=actor.pk).update(locked_by_duress=True)
        ended, _unused = StaffSession.objects.filter(user=actor).delete()
        # Coordinators hear of it as of any alert: a member may have locked out under coercion.
        owe_notice(actor.organisation_id, Kind.ALERT)
        record(
            SafetyEvent.LOCKED_MYSELF_OUT,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="member",
            object_id=actor.pk,
        )
    return ended


def do_emergency_lock(*, actor: User) -> EmergencyLock:
    """Lock every account of the organisation and end every session, at once."""
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=actor.organisation_id)
        existing = EmergencyLock.objects.filter(organisation_id=actor.organisation_id, lifted_at__isnull=True).first()
        if existing is not None:
            StaffSession.objects.filter(user__organisation_id=actor.organisation_id).delete()
            return existing
        members = User.objects.filter(organisation_id=actor.organisation_id, is_active=True, locked_by_duress=False)
        ids = [str(pk) for pk in members.values_list("pk", flat=True)]
        members.update(locked_by_duress=True)
        StaffSession.objects.filter(user__organisation_id=actor.organisation_id).delete()
        lock = EmergencyLock.objects.create(
            organisation_id=actor.organisation_id, locked_at=clock.now(), locked_by=actor, locked_members=ids
        )
        owe_notice(actor.organisation_id, Kind.ALERT)
        record(
            SafetyEvent.EMERGENCY_LOCK,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="organisation",
            object_id=actor.organisation_id,
        )
    return lock


def do_lift_emergency_lock(*, organisation: Organisation, shares: list[str]) -> int:
    """With enough recovery shares, unlock the accounts the emergency lock locked; returns how many."""
    # The rebuilt key is checked against the organisation's public half, then forgotten.
    check_recovery_shares(organisation, shares)
    with transaction.atomic():
        lock = (
            EmergencyLock.objects.select_for_update().filter(organisation=organisation, lifted_at__isnull=True).first()
        )
        if lock is None:
            raise UserError("no_emergency_lock", _("This organisation is not under an emergency lock."))
        unlocked = User.objects.filter(organisation=organisation, pk__in=lock.locked_members).update(
            locked_by_duress=False, failed_logins=0, locked_until=None
        )
        lock.lifted_at = clock.now()
        lock.save(update_fields=["lifted_at"])
        record(
            SafetyEvent.EMERGENCY_LOCK_LIFTED,
            actor_id=None,
            organisation_id=organisation.pk,
            object_type="organisation",
            object_id=organisation.pk,
        )
    return unlocked
