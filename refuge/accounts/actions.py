"""Every write to organisations and staff accounts (STYLE.md #2).

Key flow (DESIGN.md §5, docs/keys.md): each member has an X25519 keypair whose
private half is stored only wrapped twice — under an Argon2id key from their
password, and under a personal recovery key shown once. Their TOTP secret is
sealed to their own public key. The server never holds any of these in clear
outside a request.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from refuge.accounts import totp
from refuge.accounts.grants import queue_role_grants, withdraw_grants
from refuge.accounts.kdf import password_key, wrap_under_password
from refuge.accounts.models import CONTENT_ROLES, Invitation, InvitationApproval, Organisation, Role, User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import (
    CryptoError,
    generate_keypair,
    new_recovery_code,
    open_sealed,
    password_verifier,
    random_key,
    recovery_key_from_code,
    seal_for,
    split_secret,
    unwrap_with_key,
    unwrap_with_password_key,
    wrap_with_key,
)
from refuge.keyring.actions import do_create_key, do_ensure_blind_index_key, do_remove_member_everywhere
from refuge.keyring.models import Purpose
from refuge.keyring.registry import blind_index_fields

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
# Portal paths under /r/ that an organisation's short name would shadow.
RESERVED_SLUGS = frozenset({"status", "leave", "leave-quickly", "request", "ask", "static", "i18n"})
INVITATION_DAYS = 7
# Associated data for the recovery wrap, so it cannot be swapped with another blob.
RECOVERY_WRAP_AD = b"refuge:user-private-key:recovery"
# A failed recovery is answered no sooner than this after it began. A wrong key for a
# real account is counted (a database write, ~10 ms); a missing account has nothing to
# count, and without this floor the response time would tell the two apart
# (issue #16: 20 ms against 8.5 ms). Well above the write's worst case on a loaded disk.
RECOVERY_ANSWER_SECONDS = 0.25
RECOVERY_FAILED = _("The organisation, username or recovery key is not right.")


@dataclass(frozen=True)
class Enrolment:
    """What a new member must see exactly once: never stored by the server."""

    user: User
    recovery_code: str
    totp_secret: str
    private_key: bytes = field(repr=False, default=b"")

    @property
    def provisioning_uri(self) -> str:
        return totp.provisioning_uri(self.totp_secret, self.user)


@dataclass(frozen=True)
class OrganisationSetup:
    organisation: Organisation
    recovery_shares: list[str]
    coordinator: Enrolment


def _audit_member(event: AuditEvent, *, actor_id: Any, organisation_id: Any, member_id: Any) -> None:
    """Audit an act on a member account (ids only, never a name)."""
    record(event, actor_id=actor_id, organisation_id=organisation_id, object_type="user", object_id=member_id)


def check_username(username: str) -> str:
    """Normalise a staff handle and refuse anything outside a safe alphabet."""
    value = (username or "").strip().lower()
    if not USERNAME_RE.fullmatch(value):
        raise UserError(
            "bad_username",
            _("Use 2–60 characters: lowercase latin letters, digits, dot, dash or underscore."),
            field="username",
        )
    return value


def check_new_password(password: str, user: User | None = None) -> str:
    """Apply the password rules; the message names what to change."""
    if not isinstance(password, str) or len(password) > 200:
        raise UserError("bad_password", _("The password must be at most 200 characters."), field="password")
    try:
        validate_password(password, user)
    except ValidationError as error:
        raise UserError("weak_password", " ".join(error.messages), field="password") from None
    return password


def _key_material(user: User, password: str) -> Enrolment:
    """Give `user` a fresh keypair, password and recovery wraps, and a TOTP secret."""
    keypair = generate_keypair()
    recovery_code = new_recovery_code()
    totp_secret = totp.new_secret()
    user.public_key = keypair.public
    user.private_key_password_wrap = wrap_under_password(keypair.private, password)
    user.private_key_recovery_wrap = wrap_with_key(
        keypair.private, recovery_key_from_code(recovery_code), RECOVERY_WRAP_AD
    )
    user.totp_secret_sealed = seal_for(keypair.public, totp_secret.encode())
    user.totp_last_step = 0
    # The password itself is verified by unwrapping the private key (an AEAD
    # succeeds only with the right key); no separate verifier is stored.
    user.set_unusable_password()
    return Enrolment(user=user, recovery_code=recovery_code, totp_secret=totp_secret, private_key=keypair.private)


def _new_member(organisation: Organisation, username: str, role: str, password: str) -> Enrolment:
    if role not in Role.values:
        raise UserError("bad_role", _("Choose one of the roles."), field="role")
    user = User(organisation=organisation, username=check_username(username), role=role)
    check_new_password(password, user)
    enrolment = _key_material(user, password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        raise UserError("username_taken", _("This username is already used here."), field="username") from None
    return enrolment


def do_create_organisation(
    *, name: str, slug: str, coordinator_username: str, coordinator_password: str, threshold: int = 2, shares: int = 3
) -> OrganisationSetup:
    """Create an organisation, its recovery key shares and its first coordinator."""
    name = (name or "").strip()
    slug = (slug or "").strip().lower()
    if not 1 <= len(name) <= 200:
        raise UserError("bad_name", _("Give the organisation a name of up to 200 characters."), field="name")
    if not SLUG_RE.fullmatch(slug):
        raise UserError("bad_slug", _("Use 2–60 lowercase latin letters, digits or dashes."), field="slug")
    if slug in RESERVED_SLUGS:
        raise UserError("reserved_slug", _("This short name is reserved by Refuge; choose another."), field="slug")
    if not 1 <= threshold <= shares <= 16:
        raise UserError("bad_threshold", _("The threshold must be between 1 and the number of shares (at most 16)."))
    recovery = generate_keypair()
    # The private recovery key leaves this function only as m-of-n shares printed
    # for coordinators; it is never written to the database or disk.
    recovery_shares = split_secret(recovery.private, threshold, shares)
    with transaction.atomic():
        if Organisation.objects.filter(slug=slug).exists():
            raise UserError("slug_taken", _("This short name is already used."), field="slug")
        organisation = Organisation.objects.create(
            name=name,
            slug=slug,
            recovery_public_key=recovery.public,
            recovery_threshold=threshold,
            recovery_shares=shares,
        )
        enrolment = _new_member(organisation, coordinator_username, Role.COORDINATOR, coordinator_password)
        enrolment.user.totp_confirmed = True
        enrolment.user.save(update_fields=["totp_confirmed"])
        record(
            AuditEvent.ORGANISATION_CREATED,
            actor_id=None,
            organisation_id=organisation.id,
            object_type="organisation",
            object_id=organisation.id,
        )
        _audit_member(
            AuditEvent.MEMBER_CREATED, actor_id=None, organisation_id=organisation.id, member_id=enrolment.user.id
        )
        do_create_key(
            actor=None,
            organisation=organisation,
            purpose=Purpose.INTAKE_GROUP,
            label="intake",
            members=[enrolment.user],
            keypair=True,
        )
        # The blind-index keys now, while nothing else can use the organisation: the first
        # submissions then find them instead of each locking the organisation row to check.
        for field_name in blind_index_fields():
            do_ensure_blind_index_key(actor=None, organisation=organisation, field=field_name)
    return OrganisationSetup(organisation=organisation, recovery_shares=recovery_shares, coordinator=enrolment)


def do_create_member(
    *, actor: User | None, organisation: Organisation, username: str, role: str, password: str
) -> Enrolment:
    """Create an enrolled member directly (the `refuge createuser` command)."""
    with transaction.atomic():
        enrolment = _new_member(organisation, username, role, password)
        enrolment.user.totp_confirmed = True
        enrolment.user.save(update_fields=["totp_confirmed"])
        _audit_member(
            AuditEvent.MEMBER_CREATED,
            actor_id=actor.id if actor else None,
            organisation_id=organisation.id,
            member_id=enrolment.user.id,
        )
        # The keys of the role are owed, not given: a holder approves each one.
        queue_role_grants(member=enrolment.user, requested_by=actor)
    return enrolment


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
        enrolment = _new_member(invitation.organisation, invitation.username, invitation.role, password)
        _audit_member(
            AuditEvent.MEMBER_ENROLLED,
            actor_id=enrolment.user.id,
            organisation_id=invitation.organisation_id,
            member_id=enrolment.user.id,
        )
        # Owed on behalf of whoever let the member in (the approving coordinator, or the
        # inviter); a holder still approves each key.
        queue_role_grants(member=enrolment.user, requested_by=invitation.decided_by or invitation.created_by)
    return enrolment


def do_confirm_totp(*, user: User, private_key: bytes, code: str) -> None:
    """Finish enrolment once the member shows a valid code from their authenticator."""
    secret = open_sealed(private_key, bytes(user.totp_secret_sealed)).decode()
    step = totp.matching_step(secret, code)
    if step is None:
        raise UserError(
            "bad_code", _("That code is not right. Check the time on your phone and try again."), field="code"
        )
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(totp_confirmed=True, totp_last_step=step)


def do_change_password(*, actor: User, old_password: str, new_password: str) -> None:
    """Rewrap the private key under a new password; the key itself is unchanged."""
    private = _unwrap_or_refuse(actor, old_password, "old_password")
    check_new_password(new_password, actor)
    with transaction.atomic():
        actor.private_key_password_wrap = wrap_under_password(private, new_password)
        # The duress verifier is tied to the old wrap's salt; it must be set again.
        actor.duress_verifier = b""
        actor.save(update_fields=["private_key_password_wrap", "duress_verifier"])
        _audit_member(
            AuditEvent.PASSWORD_CHANGED, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=actor.id
        )


def do_set_duress_password(*, actor: User, current_password: str, duress_password: str) -> None:
    """Set the password that, typed under coercion, opens an empty workspace and locks the account."""
    _unwrap_or_refuse(actor, current_password, "current_password")
    if duress_password == current_password:
        raise UserError(
            "duress_same", _("The duress password must differ from your password."), field="duress_password"
        )
    check_new_password(duress_password, actor)
    key = password_key(bytes(actor.private_key_password_wrap), duress_password)
    with transaction.atomic():
        actor.duress_verifier = password_verifier(key)
        actor.save(update_fields=["duress_verifier"])
        _audit_member(
            AuditEvent.DURESS_PASSWORD_SET, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=actor.id
        )


def _unwrap_or_refuse(user: User, password: str, field_name: str) -> bytes:
    wrap = bytes(user.private_key_password_wrap)
    try:
        return unwrap_with_password_key(wrap, password_key(wrap, password or ""))
    except CryptoError:
        raise UserError("wrong_password", _("The current password is not right."), field=field_name) from None


@dataclass(frozen=True)
class Recovery:
    user: User
    private_key: bytes
    enrolment: Enrolment


def do_recover_account(*, organisation_slug: str, username: str, recovery_code: str, new_password: str) -> Recovery:
    """Regain an account with the personal recovery key: new password, new TOTP, new recovery key.

    The server has no backdoor: without the password or the recovery key the
    private key cannot be opened, and only re-sharing by colleagues (or the
    organisation recovery key) restores access to cases.
    """
    from refuge.accounts.login import find_member

    started = time.monotonic()
    user = find_member(organisation_slug, username)
    private = _open_with_recovery_key(user, recovery_code)
    if user is None or private is None:
        time.sleep(max(0.0, started + RECOVERY_ANSWER_SECONDS - time.monotonic()))
        raise UserError("recovery_failed", RECOVERY_FAILED)
    check_new_password(new_password, user)
    recovery_code = new_recovery_code()
    secret = totp.new_secret()
    with transaction.atomic():
        user.private_key_password_wrap = wrap_under_password(private, new_password)
        user.duress_verifier = b""
        user.private_key_recovery_wrap = wrap_with_key(private, recovery_key_from_code(recovery_code), RECOVERY_WRAP_AD)
        user.totp_secret_sealed = seal_for(bytes(user.public_key), secret.encode())
        user.totp_last_step = 0
        # The new authenticator must be proved before the next login.
        user.totp_confirmed = False
        user.failed_logins = 0
        user.locked_until = None
        user.save()
        # A recovered account may have been lost with a live session on it.
        user.sessions.all().delete()
        _audit_member(
            AuditEvent.ACCOUNT_RECOVERED, actor_id=user.id, organisation_id=user.organisation_id, member_id=user.id
        )
    return Recovery(
        user=user, private_key=private, enrolment=Enrolment(user=user, recovery_code=recovery_code, totp_secret=secret)
    )


@functools.cache
def _dummy_recovery_wrap() -> bytes:
    # Opened for unknown and deactivated accounts, so they cost the same work as real ones.
    return wrap_with_key(random_key(), random_key(), RECOVERY_WRAP_AD)


@sensitive_variables()
def _open_with_recovery_key(user: User | None, recovery_code: str) -> bytes | None:
    """The member's private key, or None; login's rules and the same work for any account.

    As at login (refuge/accounts/login.py): an unknown or deactivated account is
    tried against a dummy wrap; a locked account (failures, duress) opens with no
    key, not even the right one, and failures on it are not counted again, so
    probing a username locks it once per lockout, not once per five probes.
    """
    from refuge.accounts.login import is_locked, note_failure

    usable = user is not None and user.is_active
    wrap = bytes(user.private_key_recovery_wrap) if user is not None and usable else _dummy_recovery_wrap()
    try:
        key = recovery_key_from_code(recovery_code if isinstance(recovery_code, str) else "")
    except CryptoError:
        # Mistyped beyond reading: the same unwrap, with a key that opens nothing.
        key = bytes(32)
    try:
        private: bytes | None = unwrap_with_key(wrap, key, RECOVERY_WRAP_AD)
    except CryptoError:
        private = None
    if user is None or not usable:
        return None
    if is_locked(user):
        return None
    if private is None:
        note_failure(user)
    return private


def do_revoke_sessions(*, actor: User, member: User) -> int:
    """End every session of a member (a lost or seized laptop); returns how many."""
    _require_same_org_admin(actor, member)
    with transaction.atomic():
        count, _unused = member.sessions.all().delete()
        _audit_member(
            AuditEvent.SESSIONS_REVOKED, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=member.id
        )
    return count


def do_revoke_own_sessions(*, actor: User) -> int:
    """End every session of one's own account, e.g. after using a borrowed computer."""
    with transaction.atomic():
        count, _unused = actor.sessions.all().delete()
        _audit_member(
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
        _audit_member(
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
        _audit_member(
            AuditEvent.ACCOUNT_UNLOCKED, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=member.id
        )


def _require_same_org_admin(actor: User, member: User) -> None:
    # Access helpers already return 404 for other organisations; this is the
    # second wall in case an action is called from elsewhere.
    if actor.organisation_id != member.organisation_id or actor.role not in {Role.ADMINISTRATOR, Role.COORDINATOR}:
        raise UserError("not_allowed", _("This action is not allowed."))


def do_verify_recovery_shares(*, organisation: Organisation, shares: list[str]) -> None:
    """Check that shares rebuild the organisation recovery key; the key is then forgotten."""
    from refuge.crypto import recover_private_key

    if len(shares) > 32 or any(len(share) > 1000 for share in shares):
        raise UserError("bad_shares", _("That is more than any set of shares can be."))
    try:
        # recover_private_key compares the rebuilt key with the stored public half.
        recover_private_key(shares, bytes(organisation.recovery_public_key))
    except CryptoError:
        raise UserError(
            "shares_do_not_match",
            _(
                "These shares do not rebuild this organisation's recovery key (too few, mistyped, or from another organisation)."
            ),
        ) from None
    with transaction.atomic():
        record(
            AuditEvent.RECOVERY_KEY_VERIFIED,
            actor_id=None,
            organisation_id=organisation.id,
            object_type="organisation",
            object_id=organisation.id,
        )


MAX_EMAIL_CHARS = 254


def do_set_notification_email(*, actor: User, email: str) -> None:
    """Set (or clear, with "") the role mailbox that gets content-free notices."""
    from django.core.validators import validate_email

    # Coordinators only: the address decides where notices about requesters go.
    if actor.role != Role.COORDINATOR:
        raise UserError("not_allowed", _("This action is not allowed."))
    email = (email or "").strip()
    if email:
        try:
            if len(email) > MAX_EMAIL_CHARS:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            raise UserError(
                "bad_email", _("Enter an e-mail address such as intake@example.org."), field="email"
            ) from None
    with transaction.atomic():
        Organisation.objects.filter(pk=actor.organisation_id).update(notification_email=email)
        # The address itself stays out of the log: ids and codes only (docs/audit.md).
        record(
            AuditEvent.ORGANISATION_SETTINGS_CHANGED,
            actor_id=actor.id,
            organisation_id=actor.organisation_id,
            object_type="organisation",
            object_id=actor.organisation_id,
        )
