"""Partners and the packets disclosed to them.

In 2017 names given to an authority reached the persecutors (DESIGN.md §1): every disclosure
is deliberate, consented, minimal, encrypted to its partner, expiring and accounted for.
In clear: what the registers list and the gates check (a partner's code name and how packets
reach it; a packet's state, dates and counts). Everything said about a partner and everything
a packet holds is encrypted (docs/threat-model.md, "Disclosures").
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.keyring.registry import register_encrypted


class Delivery(models.TextChoices):
    AGE_KEY = "age", _("Encrypted to the partner's age public key")
    PASSWORD = "password", _("Password-protected download, the password given separately")


class PartnerKind(models.TextChoices):
    EMBASSY = "embassy", _("Embassy or consulate")
    UNHCR = "unhcr", _("UNHCR or a resettlement programme")
    NGO = "ngo", _("Receiving organisation")
    LAWYER = "lawyer", _("Lawyer")
    REFUGE = "refuge", _("Another Refuge installation")
    OTHER = "other", _("Other")


@register_encrypted(key_field="key", columns=("details", "recipient"))
class Partner(models.Model):
    """An organisation or person packets go to. Its key: the organisation's coordinators and recovery."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    # A code name the organisation chooses ("Receiving NGO Toronto"), shown to caseworkers who pick it.
    code_name = models.CharField(max_length=40)
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    details = models.BinaryField()  # JSON: name, kind, country, contact notes
    recipient = models.BinaryField()  # the age public key (empty text for password delivery)
    active = models.BooleanField(default=True)
    created_on = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["code_name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code_name"], name="partner_code_unique")]

    def __str__(self) -> str:
        return self.code_name


class ConsentWay(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PORTAL = "portal", _("By message through the portal")
    PHONE = "phone", _("By phone")


@register_encrypted(key_field="key", columns=("content", "consent"))
class Packet(models.Model):
    """One disclosure: prepared from a case, consented, approved by another member, produced once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="packets")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="packets")
    # The packet's own key: the case's team, the coordinators (who approve) and recovery. The selected
    # fields are copied under it when the packet is prepared, so approving needs no case key.
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    content = models.BinaryField()  # JSON: purpose, people and the chosen fields, as the partner gets them
    consent = models.BinaryField(default=b"")  # JSON: who, when, how, for what; empty until recorded
    consent_recorded = models.BooleanField(default=False)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_on = models.DateField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_on = models.DateField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    download_limit = models.PositiveSmallIntegerField(default=0)
    downloads = models.PositiveSmallIntegerField(default=0)
    opened_on = models.DateField(null=True, blank=True)
    revoked_on = models.DateField(null=True, blank=True)
    # SHA-256 of the download link's random token: the link itself is shown once and never stored.
    token_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The age file as the partner downloads it: encrypted to the partner, opened by nobody here.
    produced = models.BinaryField(default=b"")
    # SHA-256 of the acknowledgement code inside the packet (refuge/disclosures/acknowledgements.py):
    # the code itself is only in the packet, so only its recipient can confirm receipt.
    acknowledgement_digest = models.CharField(max_length=64, blank=True, default="", db_default="")
    received_on = models.DateField(null=True, blank=True)  # the day the sender typed the recipient's code

    class Meta:
        ordering = ["-prepared_on", "id"]
        indexes = [models.Index(fields=["organisation", "prepared_on"])]

    def __str__(self) -> str:
        return f"packet {self.pk}"


@register_encrypted(key_field="key", columns=("file_key", "name", "removed"))
class PacketDocument(models.Model):
    """A case document chosen for a packet: copied, byte for byte, under the packet's key (refuge.keyring.files).

    A copy, not a reference: approving reads it with the packet key (a coordinator need not hold
    the case key), and revoking the packet deletes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    packet = models.ForeignKey(Packet, on_delete=models.CASCADE, related_name="documents")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()  # its place in the packet (documents/<position>-<name>)
    file_key = models.BinaryField()
    name = models.BinaryField()
    removed = models.BinaryField()
    size = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["packet", "position"]

    def __str__(self) -> str:
        return f"packet document {self.pk}"


@register_encrypted(key_field="key", columns=("question",))
class ConsentQuestion(models.Model):
    """The team asks the requester, on their portal page, whether a packet may go (issue #14).

    The question (purpose and the fields, by name) is encrypted under the request's key, which
    the team and the requester's receipt hold; the answer and its day are in clear, as a packet's
    `consent_recorded` is: the approval gate reads them without keys. The day only, never the
    time: a requester's act is not dated finer than its hour anywhere (docs/audit.md).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    packet = models.OneToOneField(Packet, on_delete=models.CASCADE, related_name="question")
    request = models.ForeignKey("intake.HelpRequest", on_delete=models.CASCADE, related_name="+")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    question = models.BinaryField()  # JSON: purpose, field names
    asked_on = models.DateField()
    answered_on = models.DateField(null=True, blank=True)
    agreed = models.BooleanField(null=True, blank=True)

    def __str__(self) -> str:
        return f"consent question {self.pk}"


class ImportedReferral(models.Model):
    """A packet from another Refuge installation, imported as a case here (once: a replay is refused)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    packet_id = models.UUIDField()  # the sending installation's packet id, as packet.json gives it
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    imported_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "packet_id"], name="referral_imported_once"),
        ]

    def __str__(self) -> str:
        return f"imported referral {self.pk}"


@register_encrypted(key_field="key", columns=("text",))
class LetterTemplate(models.Model):
    """An organisation's own wording of one kind of support letter in one language (refuge/disclosures/letters.py).

    Encrypted under its own key, held by the organisation's coordinators (who write it and who
    approve the packets that carry it) and recovery: a letter's wording may name the organisation's
    people, offices or telephone numbers, which a seized database must not show (docs/threat-model.md,
    "Disclosures"). In clear: which kind and language have their own wording, and since when.
    Without a row, the built-in text is used.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)  # letters.LetterKind
    language = models.CharField(max_length=5)  # letters.LetterLanguage
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    text = models.BinaryField()  # JSON: title, addressee, opening, closing
    changed_on = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind", "language"], name="letter_template_unique"),
        ]

    def __str__(self) -> str:
        return f"letter template {self.pk}"
