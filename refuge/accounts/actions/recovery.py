"""Account recovery with the personal recovery key, as slow and as counted for a missing account as for a real one."""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from refuge.accounts import totp
from refuge.accounts.actions.base import RECOVERY_WRAP_AD, Enrolment, audit_member, check_new_password
from refuge.accounts.kdf import wrap_under_password
from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import (
    CryptoError,
    new_recovery_code,
    random_key,
    recovery_key_from_code,
    seal_for,
    unwrap_with_key,
    wrap_with_key,
)

# A failed recovery is answered no sooner than this after it began. A wrong key for a
# real account is counted (a database write, ~10 ms); a missing account has nothing to
# count, and without this floor the response time would tell the two apart
# (issue #16: 20 ms against 8.5 ms). Well above the write's worst case on a loaded disk.
RECOVERY_ANSWER_SECONDS = 0.25


RECOVERY_FAILED = _("The organisation, username or recovery key is not right.")


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
        audit_member(
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
