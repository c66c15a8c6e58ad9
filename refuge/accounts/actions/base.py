"""A new member's key material and username rules, shared by every write that creates an account."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts import totp
from refuge.accounts.kdf import wrap_under_password
from refuge.accounts.models import Organisation, Role, User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import (
    generate_keypair,
    new_recovery_code,
    recovery_key_from_code,
    seal_for,
    wrap_with_key,
)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")


# Associated data for the recovery wrap, so it cannot be swapped with another blob.
RECOVERY_WRAP_AD = b"refuge:user-private-key:recovery"


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


def audit_member(event: AuditEvent, *, actor_id: Any, organisation_id: Any, member_id: Any) -> None:
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


def new_member(organisation: Organisation, username: str, role: str, password: str) -> Enrolment:
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
