"""A member's own credentials: password, authenticator, duress password, notification address."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts import totp
from refuge.accounts.actions.base import audit_member, check_new_password
from refuge.accounts.kdf import password_key, wrap_under_password
from refuge.accounts.models import Organisation, Role, User
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import (
    CryptoError,
    open_sealed,
    password_verifier,
    unwrap_with_password_key,
)


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
        audit_member(
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
        audit_member(
            AuditEvent.DURESS_PASSWORD_SET, actor_id=actor.id, organisation_id=actor.organisation_id, member_id=actor.id
        )


def _unwrap_or_refuse(user: User, password: str, field_name: str) -> bytes:
    wrap = bytes(user.private_key_password_wrap)
    try:
        return unwrap_with_password_key(wrap, password_key(wrap, password or ""))
    except CryptoError:
        raise UserError("wrong_password", _("The current password is not right."), field=field_name) from None


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
