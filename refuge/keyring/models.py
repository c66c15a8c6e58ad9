"""Keys and their wraps: who can open what (DESIGN.md §5, key hierarchy)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Purpose(models.TextChoices):
    INTAKE_GROUP = "intake-group"  # X25519 keypair; new requests are sealed to its public half
    RECORD = "record"  # symmetric key of one record (a request, a case, a compartment)
    BLIND_INDEX = "blind-index"  # HMAC key of one searchable field


# The purposes of an organisation's own keys, as opposed to one record's (Purpose.RECORD).
ORGANISATION_KEY_PURPOSES = (Purpose.INTAKE_GROUP.value, Purpose.BLIND_INDEX.value)


class HolderKind(models.TextChoices):
    USER = "user"  # sealed to a member's X25519 public key
    RECOVERY = "recovery"  # sealed to the organisation recovery public key
    SERVER = "server"  # wrapped under the server key kept outside the database
    GROUP = "group"  # sealed to a group keypair (the intake group key) held by its members
    REQUESTER = "requester"  # sealed to the public key a requester derives from their receipt


class Key(models.Model):
    """A 32-byte secret (symmetric key or private half of a keypair), never stored in clear.

    The secret exists only inside its wraps. Destroying every wrap destroys the
    key (crypto-shredding); `rotation_due` is set when a holder leaves.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the (organisation, purpose, label) index below serves every lookup by
    # organisation, and one index fewer is one page fewer written per key (docs/architecture.md).
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="keys", db_index=False
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    # What the key is for, e.g. "case" or "blind-index:phone"; never personal data.
    label = models.CharField(max_length=60, blank=True, default="")
    version = models.PositiveIntegerField(default=1)
    public_key = models.BinaryField(max_length=32, null=True, blank=True)
    rotation_due = models.BooleanField(default=False)
    created_on = models.DateField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "purpose", "label"]),
            # Keys waiting for rotation: few rows, counted on the coordinator's home page.
            # Django writes the condition as a bare `WHERE rotation_due`, exactly as the
            # query does, so SQLite can use a partial index here (a bound `= ?` could not).
            models.Index(fields=["organisation"], name="key_rotation_due_idx", condition=models.Q(rotation_due=True)),
            # The organisation's own keys (intake group, blind indexes), read on every submission:
            # a few rows among one record key per request, case and compartment. Partial, with the
            # condition written exactly as the query writes it (refuge/keyring/records.py,
            # ORGANISATION_KEYS_SQL): a planner told that `organisation_id = ?` selects every row
            # (one organisation) scanned all the keys for a `purpose IN (…)` over the plain index.
            models.Index(
                fields=["organisation", "purpose", "label"],
                name="key_organisation_keys_idx",
                condition=models.Q(purpose__in=ORGANISATION_KEY_PURPOSES),
            ),
        ]

    def __str__(self) -> str:
        # Purpose, label and version only: labels never carry personal data.
        return f"{self.purpose} key {self.label or self.pk} v{self.version}"


class KeyWrap(models.Model):
    """One holder's copy of a key, sealed so that only that holder can open it."""

    # No index of its own: the unique (key, holder) index serves every lookup by key.
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="wraps", db_index=False)
    holder_kind = models.CharField(max_length=10, choices=HolderKind.choices)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="key_wraps"
    )
    # For GROUP wraps: the keypair key whose members can open this wrap.
    holder_key = models.ForeignKey(Key, on_delete=models.CASCADE, null=True, blank=True, related_name="held_wraps")
    # For REQUESTER wraps: the receipt-derived public key (reveals nothing of the receipt),
    # kept so that a rotation can seal the new secret to the requester again.
    holder_public_key = models.BinaryField(max_length=32, null=True, blank=True)
    key_version = models.PositiveIntegerField()
    wrapped = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "holder"], name="one_wrap_per_user_holder"),
            models.UniqueConstraint(
                fields=["key", "holder_kind"],
                condition=~models.Q(holder_kind="user"),
                name="one_wrap_per_non_user_holder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_kind} wrap of key {self.key_id} v{self.key_version}"


class GrantReason(models.TextChoices):
    # A coordinator or intake member needs the intake group key to read new requests.
    INTAKE = "intake"
    # A coordinator holds every shelter's key (city and rules).
    COORDINATOR = "coordinator"
    # A team member of a case with someone staying in the shelter needs its key.
    PLACEMENT = "placement"


class GrantStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"
    # The member no longer needs the key (deactivated, off the team, the stay ended).
    WITHDRAWN = "withdrawn"


class KeyGrant(models.Model):
    """A wrap owed to a member who is entitled to a key nobody could give them at that moment.

    Every path by which a key reaches a new holder is a privilege path: the wrap is made
    only when a member who holds the key approves the grant (`do_approve_grant`), never by
    the server on its own (docs/keys.md, "Grants"). Holds ids and a reason, no content.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey(Key, on_delete=models.CASCADE, related_name="grants")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="key_grants")
    reason = models.CharField(max_length=20, choices=GrantReason.choices)
    # The case a placement grant is for, by id (the keyring sits below the cases app).
    case_id = models.UUIDField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=GrantStatus.choices, default=GrantStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organisation", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "member"],
                condition=models.Q(status="pending"),
                name="one_pending_grant_per_key_and_member",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} grant of key {self.key_id}"


class BlindIndexRow(models.Model):
    """One blind index of one identifying value (name, phone, document number): the one shape
    every searchable record's index rows share (intake's RequestIndex, cases' CaseIndex).

    `digest` is the truncated keyed hash of the normalised, transliterated value under the
    organisation's server-held key for `field` (docs/keys.md, "Blind indexes"): equal values
    meet, so staff see "possibly the same person" without anyone decrypting anything, and
    one search finds requests and cases alike. A subclass adds the record the row points at
    and the index over (organisation, field, digest) that search uses.
    """

    # No index of its own: each subclass's (organisation, field, digest) index serves it.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    field = models.CharField(max_length=20)
    digest = models.CharField(max_length=64)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.field} index"
