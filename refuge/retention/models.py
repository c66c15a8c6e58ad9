"""How long an organisation keeps each kind of record, and what it must keep whatever the rule says."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    """What a retention rule applies to, and from which day its time counts."""

    CLOSED_CASE = "closed_case", _("Closed cases (from the day they were closed)")
    DECLINED_CASE = "declined_case", _("Declined cases (from the day they were declined)")
    DECLINED_REQUEST = "declined_request", _("Declined requests that never became a case (from their last activity)")
    UNUSED_RECEIPT = (
        "unused_receipt",
        _("Requests that never became a case and nobody touched since (from their last activity)"),
    )
    EVIDENCE = "evidence", _("Documents of closed and declined cases (from the day the case ended)")


class RetentionRule(models.Model):
    """One organisation's time for one subject; no rule means kept until deleted by hand."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=20, choices=Subject.choices)
    days = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "subject"], name="one_rule_per_subject")]

    def __str__(self) -> str:
        return f"{self.subject}: {self.days} days"


class LegalHold(models.Model):
    """A case or request that no rule may shred while the hold lasts (a court order, an inquiry)."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    # One of the two; the row goes when its record goes (it never outlives a hold being lifted).
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    request = models.OneToOneField(
        "intake.HelpRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    held_since = models.DateField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(case__isnull=False, request__isnull=True)
                | models.Q(case__isnull=True, request__isnull=False),
                name="hold_names_one_record",
            )
        ]

    def __str__(self) -> str:
        return f"legal hold since {self.held_since}"
