"""Requests for help, their messages and files, and what makes duplicates findable.

Everything a requester writes is encrypted under the request's own record key
(DESIGN.md §5), which is held by the intake group key, by the requester's
receipt-derived key and by the organisation recovery key — never by the server.
What stays in clear is listed in docs/threat-model.md with its reason.
"""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.keyring.models import BlindIndexRow
from refuge.keyring.registry import register_encrypted


class Urgency(models.TextChoices):
    DANGER_NOW = "now", _("I am in danger right now")
    WEEKS = "weeks", _("Within the next weeks")
    NOT_URGENT = "later", _("Not urgent")


# Triage order: danger first.
URGENCY_RANK = {Urgency.DANGER_NOW: 0, Urgency.WEEKS: 1, Urgency.NOT_URGENT: 2}


class RequesterStatus(models.TextChoices):
    """What the requester is shown; chosen by the organisation, never automatic guesses."""

    RECEIVED = "received", _("Received")
    REVIEWING = "reviewing", _("Being reviewed")
    REPLIED = "replied", _("We replied")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("We are not able to help")


def new_portal_epoch() -> int:
    """A fresh random value for `HelpRequest.portal_epoch`."""
    return secrets.randbits(63)


@register_encrypted(key_field="key", columns=("content",))
class HelpRequest(models.Model):
    """One request for help, as submitted through the portal."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the (organisation, status, urgency, received_at) index serves it.
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="requests", db_index=False
    )
    # Staff-facing short code (random, unrelated to the receipt): "R-7K2M9Q".
    reference = models.CharField(max_length=12, unique=True)
    # Keyed hash of the receipt with the pepper kept outside the database: finds the
    # request from a receipt, but neither a dump nor staff can turn it into the receipt.
    lookup_id = models.CharField(max_length=64, unique=True)
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    content = models.BinaryField()
    urgency = models.CharField(max_length=8, choices=Urgency.choices)
    status = models.CharField(max_length=12, choices=RequesterStatus.choices, default=RequesterStatus.RECEIVED)
    language = models.CharField(max_length=8, default="en")
    # Rounded down to the hour: staff need order and age, nobody needs the minute.
    received_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    # The requester wrote last and nobody has answered yet.
    awaiting_team = models.BooleanField(default=True)
    possible_plant = models.BooleanField(default=False)
    # Every portal cookie carries the value it was issued under; "Leave" draws a new one,
    # so every cookie issued before (copies included, on any device) stops opening.
    # Random, not a counter or a time: a dump cannot tell whether or when anyone left.
    portal_epoch = models.BigIntegerField(default=new_portal_epoch)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "status", "urgency", "received_at"]),
            # Requests waiting for an answer: a few among many, on every home page. Partial,
            # with the condition written as the queries write it (a bare `WHERE awaiting_team`).
            models.Index(
                fields=["organisation", "last_activity_at", "status"],
                name="request_awaiting_idx",
                condition=models.Q(awaiting_team=True),
            ),
        ]

    def __str__(self) -> str:
        return self.reference


@register_encrypted(key_field="key", columns=("body",))
class RequestMessage(models.Model):
    """A message between the requester and the team, encrypted under the request's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="messages")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    from_requester = models.BooleanField()
    author = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    body = models.BinaryField()
    created_at = models.DateTimeField()  # to the hour
    # Order within the conversation (times are only kept to the hour).
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["request", "position"], name="one_message_per_position")]

    def __str__(self) -> str:
        return f"message {self.pk}"


@register_encrypted(key_field="key", columns=("file_key", "name", "removed"))
class RequestFile(models.Model):
    """An uploaded document, metadata stripped, encrypted in chunks under its own file key.

    The file key is encrypted under the request's record key, so rotating the
    record key re-encrypts 32 bytes per file, not the file.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="files")
    message = models.ForeignKey(RequestMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="files")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    file_key = models.BinaryField()
    name = models.BinaryField()
    # What was removed before encryption (e.g. "GPS position"), shown to the requester.
    removed = models.BinaryField()
    kind = models.CharField(max_length=8)  # jpeg, png, webp, pdf: which viewer to offer
    size = models.PositiveIntegerField()
    data = models.BinaryField()  # secretstream ciphertext under file_key
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"file {self.pk}"


class RequestIndex(BlindIndexRow):
    """Blind index of one identifying value of a request: intake sees "possibly the same
    person" without anyone reading other requests."""

    request = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="indexes")

    class Meta:
        indexes = [models.Index(fields=["organisation", "field", "digest"])]


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Text")
    CHOICE = "choice", _("Choice")
    YES_NO = "yesno", _("Yes or no")
    DATE = "date", _("Date")


class IntakeQuestion(models.Model):
    """An organisation's own question on the request form (no code change needed)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=8, choices=QuestionKind.choices)
    label_en = models.CharField(max_length=300)
    label_ru = models.CharField(max_length=300)
    # For choice questions: [{"en": "...", "ru": "..."}, ...]
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.label_en


class RequestLink(models.Model):
    """Two requests of one organisation that staff say belong together (a lost receipt, the same family).

    Stored once per pair, the lower id first, and shown on both requests' pages. Nothing is
    copied from one to the other: each keeps its own key, story, files and conversation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    first = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="one_link_per_pair"),
            models.CheckConstraint(condition=models.Q(first__lt=models.F("second")), name="link_pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"link {self.pk}"


class SurgeSignal(models.Model):
    """Whether new requests, or "danger now" ones, arrive far above the organisation's usual rate.

    Written by the scheduled job `intake-surge` (refuge/intake/surge.py), read by every intake
    page for its banner. Holds the hour each surge began, nothing finer: the hours of the
    requests themselves are already in clear (`HelpRequest.received_at`).
    """

    organisation = models.OneToOneField(
        "accounts.Organisation", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # The hour a surge of all new requests began; None while the rate is usual.
    requests_since = models.DateTimeField(null=True, blank=True)
    # The same for requests marked "I am in danger right now".
    danger_since = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "surge signal"


class MergedRequest(models.Model):
    """A request merged into another of the organisation: the same person's request, written twice.

    The merged request keeps its own key, story, files, conversation and receipt; nothing is
    copied. It leaves the inbox and is read on the other request's page, declined with it,
    and accepted with it into its case (whose team then holds its key: docs/keys.md). Merged
    into a request already in a case, it is attached to that case. Undone (`do_unmerge`) only
    while neither is in a case.
    """

    request = models.OneToOneField(HelpRequest, on_delete=models.CASCADE, primary_key=True, related_name="+")
    into = models.ForeignKey(HelpRequest, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    merged_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    merged_on = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(request=models.F("into")), name="not_merged_into_itself")
        ]

    def __str__(self) -> str:
        return f"merged request {self.pk}"
