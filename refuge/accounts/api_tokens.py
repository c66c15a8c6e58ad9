"""API tokens: made, listed, revoked and checked (docs/api.md; docs/keys.md, "API tokens").

A token is a member's credential for the JSON API. It lives here, beside sessions and
passwords, because the workspace's account page makes and revokes tokens and the API
checks them: both surfaces import accounts, neither imports the other.

- **Hashed at rest.** The token is 256 random bits, shown once; only its SHA-256 is kept, so
  a seized database holds nothing that authenticates.
- **Scoped, expiring, revocable.** Each token carries the scopes its member chose, an expiry
  (at most a year) and is refused once revoked, once its member is deactivated or locked
  by a duress login.
- **Opening content is a second secret.** A token opens nothing encrypted unless it was
  bound, at creation, to an X25519 key pair that the script holds: the member's private key
  is sealed to the script's public key (a deliberate, audited act of the member with their
  keys unlocked). A request then proves the script's private key (`unlocked_keyring`), and
  gets the member's keyring for that request only.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.audit_events import ApiEvent
from refuge.accounts.models import ApiToken, User
from refuge.audit.actions import record
from refuge.core.errors import UserError, too_long
from refuge.core.lookup import by_id_or_404
from refuge.crypto import KEY_BYTES, CryptoError, open_sealed, public_key_of, seal_for, sha256_hex
from refuge.keyring.keyring import Keyring

# The public start of every token, so that a leaked one is recognised (by people and by scanners).
PREFIX = "refuge_"
TOKEN_BYTES = 32
# A presented token longer than this is not one of ours, and is not even hashed.
MAX_TOKEN_CHARS = 100
MAX_TOKEN_NAME_CHARS = 80
DEFAULT_DAYS = 90
MAX_TOKEN_DAYS = 365
# Live (unrevoked, unexpired) tokens a member may hold at once.
MAX_LIVE_TOKENS = 20


class Scope(models.TextChoices):
    """What a token may be used for; the member's role and access rules still apply on top."""

    CASES_READ = "cases:read", _("Read cases and tasks")
    CASES_WRITE = "cases:write", _("Change stages and tasks")
    REFERRALS = "referrals:write", _("Send referrals to intake")
    EXPORTS = "exports:read", _("Export cases")


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    # Shown to the member once, in the response that made it; never stored.
    secret: str = field(repr=False)


def parse_public_key(text: str) -> bytes:
    """A script's X25519 public key typed as base64 (32 bytes); UserError otherwise."""
    key = decode_key(text)
    if key is None:
        raise UserError(
            "bad_public_key",
            _("This is not a public key: paste the 44 characters of base64 your script printed."),
            field="unlock_public_key",
        )
    return key


def decode_key(text: str) -> bytes | None:
    """32 bytes from standard or URL-safe base64, or None."""
    cleaned = "".join(text.split())
    if len(cleaned) > 64:
        return None
    try:
        raw = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_BYTES else None


def _check_new_token(actor: User, name: str, scopes: Sequence[str], days: int) -> str:
    name = (name or "").strip()
    if not name:
        raise UserError("name_required", _("Give the token a name, so you know what uses it."), field="name")
    if len(name) > MAX_TOKEN_NAME_CHARS:
        raise UserError("name_too_long", too_long(MAX_TOKEN_NAME_CHARS), field="name")
    if not scopes or any(scope not in Scope.values for scope in scopes):
        raise UserError("bad_scopes", _("Choose what the token may be used for."), field="scopes")
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise UserError("bad_days", _("A token lasts from 1 to 365 days."), field="days")
    if len(live_api_tokens_of(actor)) >= MAX_LIVE_TOKENS:
        raise UserError("too_many_tokens", _("You hold 20 tokens already: revoke one you no longer use first."))
    return name


def do_create_api_token(
    *,
    actor: User,
    keyring: Keyring,
    name: str,
    scopes: Sequence[str],
    days: int = DEFAULT_DAYS,
    unlock_public_key: bytes | None = None,
) -> NewToken:
    """A new token for the actor; with `unlock_public_key`, the actor's key sealed to the script (audited)."""
    name = _check_new_token(actor, name, scopes, days)
    secret = PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    token = ApiToken(
        member=actor,
        name=name,
        digest=sha256_hex(secret.encode()),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    if unlock_public_key is not None:
        private_key = keyring.private_key
        # Only the member's own unlocked key is ever sealed: never one the server rebuilt.
        if private_key is None or not hmac.compare_digest(public_key_of(private_key), bytes(actor.public_key)):
            raise UserError("keys_locked", _("Your keys are not unlocked: log in again to bind a key pair."))
        token.unlock_public_key = unlock_public_key
        # The token's id inside the box binds it to this token: a box copied to another row opens nothing.
        token.sealed_member_key = seal_for(unlock_public_key, token.pk.bytes + private_key)
    with transaction.atomic():
        token.save(force_insert=True)
        _record(ApiEvent.API_TOKEN_CREATED, actor, token)
        if unlock_public_key is not None:
            _record(ApiEvent.API_TOKEN_KEY_BOUND, actor, token)
    return NewToken(token, secret)


def do_revoke_api_token(*, actor: User, token: ApiToken) -> None:
    """Revoke a token at once; the sealed member key goes with it (it can never unlock again)."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), sealed_member_key=b"", unlock_public_key=b""
        )
        if not updated:
            raise UserError("token_revoked", _("This token was already revoked."))
        _record(ApiEvent.API_TOKEN_REVOKED, actor, token)


def _record(event: ApiEvent, actor: User, token: ApiToken) -> None:
    record(event, actor_id=actor.pk, organisation_id=actor.organisation_id, object_type="api_token", object_id=token.pk)


def access_api_token(member: User, token_id: uuid.UUID | str) -> ApiToken:
    """One of the member's own tokens; the same 404 for missing and someone else's."""
    return by_id_or_404(ApiToken.objects.filter(member=member), token_id)


def api_tokens_of(member: User) -> list[ApiToken]:
    """The member's tokens for their account page, newest first (revoked and expired ones too)."""
    return list(ApiToken.objects.filter(member=member).defer("sealed_member_key").order_by("-created_at"))


def live_api_tokens_of(member: User) -> list[ApiToken]:
    return list(
        ApiToken.objects.filter(member=member, revoked_at__isnull=True, expires_at__gt=timezone.now()).only("id")
    )


def authenticate_api_token(presented: str) -> ApiToken | None:
    """The live token presented, with its active member; None for anything else (one answer for all)."""
    if not presented.startswith(PREFIX) or len(presented) > MAX_TOKEN_CHARS:
        return None
    token = (
        ApiToken.objects.select_related("member", "member__organisation")
        .filter(digest=sha256_hex(presented.encode()), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None:
        return None
    member = token.member
    # A departed member's, or one locked by a duress login: the token stops with the account.
    if not member.is_active or member.locked_by_duress or not member.totp_confirmed:
        return None
    return token


def unlocked_keyring(token: ApiToken, script_private_key: str) -> Keyring:
    """The member's keyring for one request, opened with the script's private key; UserError if it does not open."""
    refused = UserError("unlock_failed", _("This key does not unlock this token, so nothing encrypted was opened."))
    private = decode_key(script_private_key)
    sealed = bytes(token.sealed_member_key)
    if private is None or not sealed:
        raise refused
    if not hmac.compare_digest(public_key_of(private), bytes(token.unlock_public_key)):
        raise refused
    try:
        opened = open_sealed(private, sealed)
    except CryptoError:
        raise refused from None
    token_id, member_key = opened[:16], opened[16:]
    member = token.member
    if token_id != token.pk.bytes or len(member_key) != KEY_BYTES:
        raise refused
    # A key the member no longer has (recovered with a new key pair) unlocks nothing.
    if not hmac.compare_digest(public_key_of(member_key), bytes(member.public_key)):
        raise refused
    return Keyring(member, member_key)


def do_record_api_export(*, actor: User, token: ApiToken, case_id: uuid.UUID) -> None:
    """Record that a case was exported through the API with this token (its read is recorded as 5xx too)."""
    with transaction.atomic():
        record(
            ApiEvent.API_CASE_EXPORTED,
            actor_id=actor.pk,
            organisation_id=actor.organisation_id,
            object_type="case",
            object_id=case_id,
        )
