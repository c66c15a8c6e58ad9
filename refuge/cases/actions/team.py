"""The case's team: adding and removing members, the lead, and the key rotation a removal leaves due."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.grants import queue_grant, withdraw_grants
from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.access import CASE_ROLES, holds_key
from refuge.cases.actions.base import add_event, audit_act, check_on_team, lock_case, today, touch
from refuge.cases.handover import request_keys
from refuge.cases.models import Case, Compartment, EventKind, TeamMember
from refuge.core.errors import UserError
from refuge.keyring.actions.rotation import do_rotate_key
from refuge.keyring.actions.wraps import do_grant_key, do_revoke_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import GrantReason, HolderKind, Key, KeyWrap

MAX_TEAM = 30

# Keys of a case that apps above cases keep (refuge.disclosures: its packets' keys), for a member who
# leaves the team: given the case and that member (None: every such key, to rotate), the keys to take
# from them and rotate. Registered when Django starts, so that cases imports none of those apps
# (docs/architecture.md, "Layers").
_CONTRIBUTED_KEYS: list[Callable[[Case, User | None], list[Key]]] = []


def register_team_keys(keys_for: Callable[[Case, User | None], list[Key]]) -> None:
    """Let another app name keys of a case that a member leaving its team must lose (and that are rotated)."""
    if keys_for not in _CONTRIBUTED_KEYS:
        _CONTRIBUTED_KEYS.append(keys_for)


def _contributed_keys(case: Case, member: User | None) -> list[Key]:
    return [key for keys_for in _CONTRIBUTED_KEYS for key in keys_for(case, member)]


def check_team_candidate(actor: User, member: User) -> None:
    if member.organisation_id != actor.organisation_id or not member.is_active or member.role not in CASE_ROLES:
        raise UserError("not_a_team_member", _("This person cannot be on a case team."), field="team")


def do_add_team_member(*, actor: User, keyring: Keyring, case: Case, member: User, lead: bool = False) -> None:
    """Share a case with a member: the case key (and the request's) wrapped for them."""
    check_on_team(actor, case)
    check_team_candidate(actor, member)
    with transaction.atomic():
        locked = lock_case(case)
        if TeamMember.objects.filter(case=locked, user=member).exists():
            raise UserError("already_on_team", _("This member is already on the team."), field="member")
        if TeamMember.objects.filter(case=locked).count() >= MAX_TEAM:
            raise UserError("team_too_big", _("A team has at most %(limit)s members.") % {"limit": MAX_TEAM})
        secret = keyring.secret_for(locked.key)
        do_grant_key(actor=actor, keyring=keyring, key=locked.key, member=member)
        for request_key in request_keys(locked):
            do_grant_key(actor=actor, keyring=keyring, key=request_key, member=member)
        if lead:
            TeamMember.objects.filter(case=locked).update(lead=False)
        TeamMember.objects.create(case=locked, user=member, lead=lead, added_on=today())
        _shelter_keys_for(actor, keyring, locked, member)
        touch(locked)
        add_event(locked, secret, EventKind.TEAM_ADDED, actor, {"member": member.username})
        audit_act(AuditEvent.TEAM_MEMBER_ADDED, actor, "case", locked.pk)


def _shelter_keys_for(actor: User, keyring: Keyring, case: Case, member: User) -> None:
    """A new team member needs the key of every shelter where someone of the case stays."""
    stays = case.placements.filter(ended_on__isnull=True).select_related("shelter__key")
    for stay in stays:
        key = stay.shelter.key
        if holds_key(actor, key):
            # The actor holds it and names the new holder: their act is the approval.
            do_grant_key(actor=actor, keyring=keyring, key=key, member=member)
        else:
            # Owed until a holder of the shelter key approves it (refuge/accounts/grants.py).
            queue_grant(key=key, member=member, reason=GrantReason.PLACEMENT, requested_by=actor, case_id=case.pk)


def do_set_lead(*, actor: User, keyring: Keyring, case: Case, member: User) -> None:
    """Make a member of the team the case's lead (who owns the tasks made for the case)."""
    check_on_team(actor, case)
    with transaction.atomic():
        locked = lock_case(case)
        row = TeamMember.objects.filter(case=locked, user=member).first()
        if row is None:
            raise UserError("not_on_team", _("This member is not on the team."), field="member")
        if row.lead:
            return
        secret = keyring.secret_for(locked.key)
        TeamMember.objects.filter(case=locked, lead=True).update(lead=False)
        TeamMember.objects.filter(pk=row.pk).update(lead=True)
        touch(locked)
        add_event(locked, secret, EventKind.LEAD_CHANGED, actor, {"member": member.username})
        audit_act(AuditEvent.TEAM_LEAD_CHANGED, actor, "case", locked.pk)


@dataclass
class Removal:
    rotated: list[Key] = field(default_factory=list)
    # Keys the actor could not open (compartments they were not granted): still
    # marked rotation_due; a holder rotates them from the case page.
    pending: list[Key] = field(default_factory=list)


def do_remove_team_member(*, actor: User, keyring: Keyring, case: Case, member: User) -> Removal:
    """Take a member off a team: delete their wraps and rotate what they could read."""
    check_on_team(actor, case)
    removal = Removal()
    with transaction.atomic():
        locked = lock_case(case)
        row = TeamMember.objects.filter(case=locked, user=member).first()
        if row is None:
            raise UserError("not_on_team", _("This member is not on the team."), field="member")
        if TeamMember.objects.filter(case=locked).count() <= 1:
            raise UserError("last_member", _("A case needs at least one member on its team. Add someone else first."))
        row.delete()
        withdraw_grants(actor=actor, member=member, case_id=locked.pk)
        # Opened before any wrap goes: a member leaving on their own still needs it for the timeline.
        secret, opened_version = keyring.secret_for(locked.key), locked.key.version
        leaving = member.pk == actor.pk
        keys = [locked.key, *request_keys(locked)]
        keys += [c.key for c in Compartment.objects.filter(person__case=locked).select_related("key")]
        keys += _contributed_keys(locked, member)
        for key in keys:
            if not KeyWrap.objects.filter(key=key, holder_kind=HolderKind.USER, holder=member).exists():
                continue
            do_revoke_key(actor=actor, key=key, member=member)
            # A member leaving never makes the new keys (they would know them): the
            # keys stay rotation_due for the rest of the team to rotate.
            if not leaving and holds_key(actor, key):
                do_rotate_key(actor=actor, keyring=keyring, key=key)
                removal.rotated.append(key)
            else:
                removal.pending.append(key)
        if row.lead and not TeamMember.objects.filter(case=locked, lead=True).exists():
            # Whoever removed the lead leads now; a lead who left hands over to the longest on the team.
            heirs = TeamMember.objects.filter(case=locked)
            heir = heirs.order_by("added_on", "pk").first() if leaving else heirs.filter(user=actor).first()
            if heir is not None:
                TeamMember.objects.filter(pk=heir.pk).update(lead=True)
        fresh = Case.objects.select_related("key").get(pk=locked.pk)
        if fresh.key.version != opened_version:
            secret = keyring.secret_for(fresh.key)
        touch(fresh)
        add_event(fresh, secret, EventKind.TEAM_REMOVED, actor, {"member": member.username})
        if removal.rotated:
            add_event(fresh, secret, EventKind.KEYS_ROTATED, actor, {"keys": len(removal.rotated)})
        audit_act(AuditEvent.TEAM_MEMBER_REMOVED, actor, "case", locked.pk)
    case.key = fresh.key
    return removal


def do_rotate_pending_keys(*, actor: User, keyring: Keyring, case: Case) -> int:
    """Rotate every key of the case marked rotation_due that the actor holds."""
    check_on_team(actor, case)
    rotated = 0
    with transaction.atomic():
        locked = lock_case(case)
        keys = [locked.key, *request_keys(locked)]
        keys += [c.key for c in Compartment.objects.filter(person__case=locked).select_related("key")]
        keys += _contributed_keys(locked, None)
        for key in keys:
            if key.rotation_due and holds_key(actor, key):
                do_rotate_key(actor=actor, keyring=keyring, key=key)
                rotated += 1
        if rotated:
            fresh = Case.objects.select_related("key").get(pk=locked.pk)
            add_event(fresh, keyring.secret_for(fresh.key), EventKind.KEYS_ROTATED, actor, {"keys": rotated})
    return rotated
