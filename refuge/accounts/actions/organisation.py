"""Creating an organisation (its first coordinator, its keys, its recovery shares) and checking the shares."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from refuge.accounts.actions.base import Enrolment, audit_member, new_member
from refuge.accounts.models import Organisation, Role
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.core.errors import UserError
from refuge.crypto import (
    CryptoError,
    generate_keypair,
    split_secret,
)
from refuge.keyring.actions.keys import do_create_key, do_ensure_blind_index_key
from refuge.keyring.models import Purpose
from refuge.keyring.registry import blind_index_fields

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")


# Portal paths under /r/ that an organisation's short name would shadow.
RESERVED_SLUGS = frozenset({"status", "leave", "leave-quickly", "request", "ask", "static", "i18n"})

# Shares typed to rebuild the recovery key (verifying them, lifting an emergency lock):
# more than any set can be is refused before any work (docs/limits.md).
MAX_TYPED_SHARES = 32
MAX_SHARE_CHARS = 1000


@dataclass(frozen=True)
class OrganisationSetup:
    organisation: Organisation
    recovery_shares: list[str]
    coordinator: Enrolment


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
        enrolment = new_member(organisation, coordinator_username, Role.COORDINATOR, coordinator_password)
        enrolment.user.totp_confirmed = True
        enrolment.user.save(update_fields=["totp_confirmed"])
        record(
            AuditEvent.ORGANISATION_CREATED,
            actor_id=None,
            organisation_id=organisation.id,
            object_type="organisation",
            object_id=organisation.id,
        )
        audit_member(
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


def check_recovery_shares(organisation: Organisation, shares: list[str]) -> None:
    """Refuse shares that do not rebuild the organisation's recovery key; the rebuilt key is forgotten."""
    from refuge.crypto import recover_private_key

    if len(shares) > MAX_TYPED_SHARES or any(len(share) > MAX_SHARE_CHARS for share in shares):
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


def do_verify_recovery_shares(*, organisation: Organisation, shares: list[str]) -> None:
    """Check that shares rebuild the organisation recovery key; the key is then forgotten."""
    check_recovery_shares(organisation, shares)
    with transaction.atomic():
        record(
            AuditEvent.RECOVERY_KEY_VERIFIED,
            actor_id=None,
            organisation_id=organisation.id,
            object_type="organisation",
            object_id=organisation.id,
        )
