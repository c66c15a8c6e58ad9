"""Owed key wraps: the one path by which a key reaches a member nobody could give it to at once.

Every path by which a key reaches a new holder is a privilege path (docs/threat-model.md):
it needs a holder's deliberate, audited act. Where the act of a holder already names the
new holder (adding a team member to a case they hold, placing a person as a coordinator
holding the shelter key), that act wraps at once (`do_grant_key`). Everywhere else the
entitlement is written down here (`queue_grant`) and waits until a member who holds the
key approves it (`do_approve_grant`) or refuses it (`do_refuse_grant`). The server never
wraps a key for anyone on its own: not at login, not when a page is opened.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import Organisation, Role, User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.keyring.actions.base import member_problem
from refuge.keyring.actions.wraps import do_grant_key
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import GrantReason, GrantStatus, HolderKind, Key, KeyGrant, KeyWrap, Purpose

# Members of these roles read new requests, so they are owed the intake group key.
GROUP_KEY_ROLES = frozenset({Role.COORDINATOR, Role.INTAKE})
# The label shelter keys carry (refuge/shelter/actions.py): every coordinator holds them.
SHELTER_LABEL = "shelter"
# Every coordinator holds these too: shelters, the partner register's entries and the
# organisation's own letter wordings (refuge/disclosures: coordinators manage and approve them).
COORDINATOR_LABELS = (SHELTER_LABEL, "partner", "letter-template")


def _holds_current(member: User, key: Key) -> bool:
    return KeyWrap.objects.filter(
        key=key, holder=member, holder_kind=HolderKind.USER, key_version=F("key__version")
    ).exists()


def queue_grant(
    *, key: Key, member: User, reason: GrantReason, requested_by: User | None, case_id: uuid.UUID | None = None
) -> KeyGrant | None:
    """Owe `member` a wrap of `key`, inside the caller's transaction; None if held, owed or not allowed."""
    with transaction.atomic(savepoint=False):
        # Queued under the key's lock, so two acts owing the same wrap write one grant.
        locked = Key.objects.select_for_update().get(pk=key.pk)
        if member_problem(locked.organisation_id, member) is not None or _holds_current(member, locked):
            return None
        if KeyGrant.objects.filter(key=locked, member=member, status=GrantStatus.PENDING).exists():
            return None
        grant = KeyGrant.objects.create(
            organisation_id=locked.organisation_id,
            key=locked,
            member=member,
            reason=reason,
            case_id=case_id,
            requested_by=requested_by,
            requested_at=timezone.now(),
        )
        _audit(AuditEvent.KEY_GRANT_QUEUED, requested_by, grant)
    return grant


def coordinator_key_holders(organisation_id: uuid.UUID) -> list[User]:
    """The active coordinators with keys, to wrap a new coordinator key for (shelter, partner, letter).

    Inside the transaction that creates the key: the organisation's row is locked first, as
    `queue_role_grants` locks it, so that a coordinator enrolling at the same moment is either
    listed here or, enrolling after this transaction, owed the new key. Without the lock, on
    PostgreSQL each transaction missed the other's uncommitted row, and the new coordinator got
    neither the key nor a grant for it.
    """
    lock_members_of(organisation_id)
    return [
        user
        for user in User.objects.filter(organisation_id=organisation_id, role=Role.COORDINATOR, is_active=True)
        if len(bytes(user.public_key)) == 32
    ]


def lock_members_of(organisation_id: uuid.UUID) -> None:
    """Lock the organisation's row until the transaction ends, as creating a key does (keyring.holders).

    An enrolment takes it before it inserts the member: a row that refers to the organisation
    holds a share lock on it, and waiting for this lock while holding that one deadlocked
    against a key being created.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("the organisation's members are locked inside the transaction that uses them")
    Organisation.objects.select_for_update().filter(pk=organisation_id).first()


def queue_role_grants(*, member: User, requested_by: User | None) -> list[KeyGrant]:
    """Owe a new member of a content role the keys of that role: intake key; a coordinator's shelter, partner and letter keys."""
    if member.role not in GROUP_KEY_ROLES:
        return []
    # After every key created before this member could be listed (`coordinator_key_holders`).
    lock_members_of(member.organisation_id)
    keys = Key.objects.filter(organisation_id=member.organisation_id)
    owed = [(key, GrantReason.INTAKE) for key in keys.filter(purpose=Purpose.INTAKE_GROUP, public_key__isnull=False)]
    if member.role == Role.COORDINATOR:
        # Live keys only: a shredded key has no wrap left for anyone to give.
        live = keys.filter(
            purpose=Purpose.RECORD, label__in=COORDINATOR_LABELS, wraps__holder_kind=HolderKind.USER
        ).distinct()
        owed += [(key, GrantReason.COORDINATOR) for key in live.order_by("created_on", "id")]
    grants = [queue_grant(key=key, member=member, reason=reason, requested_by=requested_by) for key, reason in owed]
    return [grant for grant in grants if grant is not None]


def queue_grants(
    *,
    key: Key,
    members: Iterable[User],
    reason: GrantReason,
    requested_by: User | None,
    case_id: uuid.UUID | None = None,
) -> list[KeyGrant]:
    """`queue_grant` for several members."""
    grants = [
        queue_grant(key=key, member=member, reason=reason, requested_by=requested_by, case_id=case_id)
        for member in members
    ]
    return [grant for grant in grants if grant is not None]


def withdraw_grants(
    *, actor: User | None, member: User, case_id: uuid.UUID | None = None, key_ids: Iterable[uuid.UUID] = ()
) -> int:
    """Withdraw the member's pending grants (all, those for one case, or for some keys), inside the caller's transaction."""
    grants = KeyGrant.objects.filter(member=member, status=GrantStatus.PENDING)
    if case_id is not None:
        grants = grants.filter(case_id=case_id)
    key_ids = list(key_ids)
    if key_ids:
        grants = grants.filter(key_id__in=key_ids)
    withdrawn = 0
    with transaction.atomic(savepoint=False):
        for grant in grants.select_for_update():
            grant.status, grant.decided_by, grant.decided_at = GrantStatus.WITHDRAWN, actor, timezone.now()
            grant.save(update_fields=["status", "decided_by", "decided_at"])
            _audit(AuditEvent.KEY_GRANT_WITHDRAWN, actor, grant)
            withdrawn += 1
    return withdrawn


def _still_entitled(grant: KeyGrant) -> bool:
    """Role grants lapse with the role; placement grants are withdrawn by the acts that end them."""
    member = grant.member
    if grant.reason == GrantReason.INTAKE:
        return member.role in GROUP_KEY_ROLES
    if grant.reason == GrantReason.COORDINATOR:
        return member.role == Role.COORDINATOR
    return True


def _decide(actor: User, grant: KeyGrant) -> KeyGrant:
    """Lock a pending grant the actor may decide, or refuse."""
    locked = (
        KeyGrant.objects.select_for_update()
        .select_related("key", "member")
        .filter(pk=grant.pk, organisation_id=actor.organisation_id, status=GrantStatus.PENDING)
        .first()
    )
    if locked is None:
        raise UserError("grant_decided", _("This request for a key has already been decided."))
    # Only a holder decides: administrators and auditors hold no content keys, and a
    # member cannot approve their own access.
    if not actor.sees_content or locked.member_id == actor.pk or not _holds_current(actor, locked.key):
        raise UserError("not_a_holder", _("Only a member who holds this key can decide on it."))
    return locked


def do_approve_grant(*, actor: User, keyring: Keyring, grant: KeyGrant) -> KeyGrant:
    """A holder seals the key to the member it is owed to and signs the grant as theirs."""
    with transaction.atomic():
        locked = _decide(actor, grant)
        if not _still_entitled(locked):
            raise UserError("grant_lapsed", _("This member no longer needs this key. Refuse the request instead."))
        do_grant_key(actor=actor, keyring=keyring, key=locked.key, member=locked.member)
        locked.status, locked.decided_by, locked.decided_at = GrantStatus.APPROVED, actor, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        _audit(AuditEvent.KEY_GRANT_APPROVED, actor, locked)
    return locked


def do_refuse_grant(*, actor: User, grant: KeyGrant) -> KeyGrant:
    """A holder drops an owed grant: nothing is sealed."""
    with transaction.atomic():
        locked = _decide(actor, grant)
        locked.status, locked.decided_by, locked.decided_at = GrantStatus.REFUSED, actor, timezone.now()
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        _audit(AuditEvent.KEY_GRANT_REFUSED, actor, locked)
    return locked


def do_approve_grants_owed_to(*, actor: User, keyring: Keyring, members: Iterable[User]) -> int:
    """Approve each pending grant of a key the actor holds for the members named (e.g. setting up demo staff)."""
    from refuge.keyring.queries import grants_to_approve

    ids = {member.pk for member in members}
    approved = 0
    for grant in grants_to_approve(actor).filter(member_id__in=ids):
        do_approve_grant(actor=actor, keyring=keyring, grant=grant)
        approved += 1
    return approved


def _audit(event: AuditEvent, actor: User | None, grant: KeyGrant) -> None:
    """Ids only: the grant (its key and member are in the grant row, not in the log)."""
    record(
        event,
        actor_id=actor.pk if actor is not None else None,
        organisation_id=grant.organisation_id,
        object_type="key_grant",
        object_id=grant.pk,
    )
