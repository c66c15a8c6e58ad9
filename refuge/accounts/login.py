"""Login: unlock the private key with the password, check the second factor.

A wrong organisation, username, password or code all give the same answer and
take about the same time, so the form cannot be used to learn who has an
account (DESIGN.md §8).
"""

from __future__ import annotations

import functools
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts import totp
from refuge.accounts.kdf import password_key, wrap_under_password
from refuge.accounts.models import StaffAlert, User
from refuge.accounts.notices import Kind, owe_notice
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import CryptoError, open_sealed, password_verifier, random_key, unwrap_with_password_key

LOGIN_FAILED = _(
    "The organisation, username, password or code is not right. After several failures the account is locked for a while."
)


@dataclass(frozen=True)
class LoginResult:
    user: User
    # None for a duress login: the session gets an empty, locked keyring.
    private_key: bytes | None

    @property
    def duress(self) -> bool:
        return self.private_key is None


@functools.cache
def _dummy_wrap() -> bytes:
    # Derived against for unknown accounts, so they cost the same Argon2id work.
    return wrap_under_password(random_key(), "refuge-dummy")


def find_member(organisation_slug: str, username: str) -> User | None:
    """The member with this handle in this organisation, or None."""
    if not isinstance(organisation_slug, str) or not isinstance(username, str):
        return None
    slug, name = organisation_slug.strip().lower()[:60], username.strip().lower()[:60]
    return User.objects.select_related("organisation").filter(organisation__slug=slug, username=name).first()


def note_failure(user: User) -> None:
    """Count a failed attempt against the account (never against an IP) and lock if needed."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=F("failed_logins") + 1)
        failures = User.objects.values_list("failed_logins", flat=True).get(pk=user.pk)
        record(
            AuditEvent.LOGIN_FAILED,
            actor_id=None,
            organisation_id=user.organisation_id,
            object_type="user",
            object_id=user.pk,
        )
        if failures >= settings.LOGIN_MAX_FAILURES:
            until = timezone.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            User.objects.filter(pk=user.pk).update(locked_until=until, failed_logins=0)
            record(
                AuditEvent.ACCOUNT_LOCKED,
                actor_id=None,
                organisation_id=user.organisation_id,
                object_type="user",
                object_id=user.pk,
            )


def is_locked(user: User) -> bool:
    """Locked after failures (until `locked_until`) or by a duress login: no password or recovery key opens it."""
    return user.locked_by_duress or (user.locked_until is not None and user.locked_until > timezone.now())


def check_login(*, organisation_slug: str, username: str, password: str, code: str) -> LoginResult:
    """Verify all four inputs; return the unlocked private key or raise one generic UserError."""
    user = find_member(organisation_slug, username)
    password = password if isinstance(password, str) and len(password) <= 200 else ""
    if user is None or not user.is_active or not user.totp_confirmed:
        password_key(_dummy_wrap(), password)
        raise UserError("login_failed", LOGIN_FAILED)
    locked = is_locked(user)
    wrap = bytes(user.private_key_password_wrap)
    # One Argon2id run answers both questions, so whether an account has a duress
    # password, and whether this was it, does not show in the response time.
    key = password_key(wrap, password)
    try:
        private = unwrap_with_password_key(wrap, key)
    except CryptoError:
        if not locked and _is_duress(user, key):
            return _duress_login(user)
        if not locked:
            note_failure(user)
        raise UserError("login_failed", LOGIN_FAILED) from None
    if locked:
        raise UserError("login_failed", LOGIN_FAILED)
    _check_code(user, private, code)
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_logins=0, last_login=timezone.now())
        record(
            AuditEvent.LOGIN_SUCCEEDED,
            actor_id=user.id,
            organisation_id=user.organisation_id,
            object_type="user",
            object_id=user.id,
        )
    # No key is shared here: a login is not a holder's decision to give anyone a key
    # (keys owed to new members wait in refuge/accounts/grants.py for a holder's approval).
    return LoginResult(user=user, private_key=private)


def _is_duress(user: User, key: bytes) -> bool:
    stored = bytes(user.duress_verifier or b"")
    # Compare against a fixed value when none is set: same work either way.
    expected = stored if stored else bytes(32)
    return bool(stored) and hmac.compare_digest(password_verifier(key), expected)


def _check_code(user: User, private: bytes, code: str) -> None:
    secret = open_sealed(private, bytes(user.totp_secret_sealed)).decode()
    step = totp.matching_step(secret, code)
    # Conditional update: a code (or an older one) already used cannot be used
    # again, even by two requests racing each other.
    fresh = (
        step is not None and User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step) == 1
    )
    if not fresh:
        note_failure(user)
        raise UserError("login_failed", LOGIN_FAILED)


def _duress_login(user: User) -> LoginResult:
    """Coerced member: lock the account, alert coordinators, open nothing."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(locked_by_duress=True)
        StaffAlert.objects.create(
            organisation_id=user.organisation_id,
            kind=StaffAlert.Kind.DURESS_LOGIN,
            subject_user=user,
            created_at=timezone.now(),
        )
        # The alert also leaves the application, as one content-free line of the next
        # mail notice to the role mailbox (refuge/accounts/notices.py; docs/threat-model.md).
        owe_notice(user.organisation_id, Kind.ALERT)
        # Both the duress event and a plain "login succeeded" are written: the
        # log is for auditors, and a coercer watching the screen sees nothing.
        record(
            AuditEvent.DURESS_LOGIN,
            actor_id=user.id,
            organisation_id=user.organisation_id,
            object_type="user",
            object_id=user.id,
        )
    return LoginResult(user=user, private_key=None)


def do_log_out(*, actor: User) -> None:
    """Audit that a member ended their session (the session itself is deleted by the view)."""
    with transaction.atomic():
        record(
            AuditEvent.LOGGED_OUT,
            actor_id=actor.id,
            organisation_id=actor.organisation_id,
            object_type="user",
            object_id=actor.id,
        )
