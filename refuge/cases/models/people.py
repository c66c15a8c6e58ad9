"""The people of a case, and the blind indexes of their identifying values."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.cases.models.case import Case
from refuge.keyring.models import BlindIndexRow
from refuge.keyring.registry import register_encrypted


class PersonRole(models.TextChoices):
    REQUESTER = "requester", _("Requester")
    FAMILY = "family", _("Family member")
    PARTNER = "partner", _("Partner")
    CHILD = "child", _("Child")
    OTHER = "other", _("Travelling with them")


@register_encrypted(key_field="key", columns=("details",))
class Person(models.Model):
    """Someone a case helps, known everywhere by a pseudonym; who they are is in compartments."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="people")
    # Generated words and digits ("Birch 4821"): safe to say aloud and to show in lists.
    pseudonym = models.CharField(max_length=40)
    role = models.CharField(max_length=10, choices=PersonRole.choices)
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    # Non-identifying working notes under the case key (languages, how they are doing).
    details = models.BinaryField()
    added_on = models.DateField()
    version = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "pseudonym"], name="pseudonym_unique_per_org"),
        ]
        indexes = [models.Index(fields=["organisation", "pseudonym"])]

    def __str__(self) -> str:
        return self.pseudonym


class CaseIndex(BlindIndexRow):
    """Blind index of one identifying value of a person of a case, with the same server-held
    keys as a request's, so one search finds requests and cases."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="indexes")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="indexes")

    class Meta:
        indexes = [models.Index(fields=["organisation", "field", "digest"])]
