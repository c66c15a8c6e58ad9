"""Organisations, staff accounts and their key material."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Organisation(models.Model):
    """One NGO on this installation; nothing crosses between organisations."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    # Public half of the organisation recovery key; the private half exists only as
    # m-of-n shares held by coordinators (DESIGN.md §5), never on the server.
    recovery_public_key = models.BinaryField(max_length=32)
    recovery_threshold = models.PositiveSmallIntegerField()
    # A shared role mailbox (not a person's address) that gets content-free notices
    # such as "2 new requests". Empty: no e-mail is sent.
    notification_email = models.EmailField(blank=True, default="")
    recovery_shares = models.PositiveSmallIntegerField()
    created_on = models.DateField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    INTAKE = "intake", _("Intake")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles whose members may be given case content; all of them need a second factor.
CONTENT_ROLES = frozenset({Role.COORDINATOR, Role.CASEWORKER, Role.INTAKE})


class UserManager(BaseUserManager["User"]):
    pass


class User(AbstractBaseUser):
    """A staff account. Its X25519 private key is stored only wrapped (DESIGN.md §5)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="users")
    # Staff handles, not legal names: docs/threat-model.md lists them as clear metadata.
    # Unique per organisation only, so nobody can probe another organisation's names.
    username = models.CharField(max_length=60)
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    language = models.CharField(max_length=8, default="en")
    date_joined = models.DateField(auto_now_add=True)

    public_key = models.BinaryField(max_length=32)
    # Private key under an Argon2id key from the password, and under the personal
    # recovery key shown once at enrolment. The server holds neither secret.
    private_key_password_wrap = models.BinaryField()
    private_key_recovery_wrap = models.BinaryField()
    # TOTP secret sealed to the user's own public key: a database dump does not
    # reveal it, and it is opened only after the password has unlocked the key.
    totp_secret_sealed = models.BinaryField()
    totp_last_step = models.BigIntegerField(default=0)
    # Set when the member has proved their authenticator works; until then no login.
    totp_confirmed = models.BooleanField(default=False)
    # Duress password: opens an empty workspace, locks the account, alerts
    # coordinators (DESIGN.md §4, coerced caseworker). Stored as a verifier of the
    # Argon2id key derived with the password wrap's salt, so one Argon2id run per
    # login checks both passwords. Empty when not set; cleared when the wrap changes.
    duress_verifier = models.BinaryField(max_length=32, blank=True, default=b"")

    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by_duress = models.BooleanField(default=False)

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()

    class Meta:
        indexes = [models.Index(fields=["organisation", "role"])]
        constraints = [models.UniqueConstraint(fields=["organisation", "username"], name="username_unique_per_org")]

    def __str__(self) -> str:
        return self.username

    @property
    def is_staff(self) -> bool:
        return False

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return False

    def has_module_perms(self, app_label: str) -> bool:
        return False

    @property
    def sees_content(self) -> bool:
        return self.role in CONTENT_ROLES


class InvitationApproval(models.TextChoices):
    NOT_NEEDED = "not-needed"
    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


class Invitation(models.Model):
    """A one-time enrolment link an administrator gives to a new member.

    Only a hash of the token is stored, so a database dump cannot be used to
    enrol an account.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    token_hash = models.CharField(max_length=64, unique=True)
    username = models.CharField(max_length=60)
    role = models.CharField(max_length=20, choices=Role.choices)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    expires_at = models.DateTimeField()
    used = models.BooleanField(default=False)
    # An administrator's invitation to a content role works only once a coordinator has
    # approved it: administrators must not be able to give themselves (or a planted
    # account) the organisation's requests and cases (docs/threat-model.md).
    approval = models.CharField(max_length=12, choices=InvitationApproval.choices, default="not-needed")
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"invitation for {self.username}"


class StaffSession(AbstractBaseSession):
    """Server-side session row, tied to a user so all their sessions can be revoked.

    It holds the user's private key only encrypted under a key that lives in the
    browser's HttpOnly cookie (DESIGN.md §5): the row alone opens nothing.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, related_name="sessions")
    started_at = models.DateTimeField(null=True)

    @classmethod
    def get_session_store_class(cls) -> type[Any]:
        from refuge.accounts.sessions import SessionStore

        return SessionStore


class StaffAlert(models.Model):
    """Something coordinators must see at once (a duress login, later missed check-ins).

    Holds only ids and a kind: the alert itself must not carry case content.
    """

    class Kind(models.TextChoices):
        DURESS_LOGIN = "duress", _("Duress login: the account was locked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField()
    resolved = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.kind} alert"


class PendingNotice(models.Model):
    """One thing the organisation's next mail notice will count (refuge/accounts/notices.py).

    Written in the same transaction as what it counts (a request, a requester's message,
    an alert), so a notice is owed exactly when that is stored, whichever process stored
    it; deleted once the notice is sent. Holds the organisation and a kind only: no time
    (the row's existence is all the job needs), no id of what it counts.
    """

    class Kind(models.TextChoices):
        REQUEST = "request"
        MESSAGE = "message"
        ALERT = "alert"
        # New requests (or "danger now" ones) far above the usual rate (refuge/intake/surge.py).
        SURGE = "surge"
        DANGER = "danger"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Failed sends so far; after a few the notice is given up (with a log line naming no one).
    attempts = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.kind} notice"


class ApiToken(models.Model):
    """A member's credential for the JSON API (refuge/api; docs/api.md, docs/keys.md "API tokens").

    Only a hash of the token is kept (the token is shown once); it carries scopes, expires
    and can be revoked. A token may be bound to a key pair its script holds: the member's
    private key is then sealed to the script's public key (`sealed_member_key`), so that a
    request carrying the script's private key opens what the member may open. A seized
    database holds neither the token nor anything that opens the sealed key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    member = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    # The member's own label for it ("referral bridge"), shown on their account page.
    name = models.CharField(max_length=80)
    # SHA-256 of the token: it has 256 random bits, so a fast hash is as good as a slow one.
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The script's X25519 public key, and the member's private key sealed to it (empty: a
    # token that opens nothing encrypted).
    unlock_public_key = models.BinaryField(max_length=32, blank=True, default=b"")
    sealed_member_key = models.BinaryField(blank=True, default=b"")

    class Meta:
        indexes = [models.Index(fields=["member", "revoked_at"])]

    def __str__(self) -> str:
        return f"API token {self.pk}"

    @property
    def live(self) -> bool:
        """Neither revoked nor expired (the member's account is checked when it is used)."""
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def bound(self) -> bool:
        """Bound to a script's key pair: it can open what its member opens."""
        return bool(self.unlock_public_key)
