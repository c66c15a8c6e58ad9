"""Visa and resettlement applications of the people of a case, and their status history.

Which destination a person applied to is itself sensitive (DOMAIN.md: the 2017 organisation
refused to name the countries). What stays in clear is what lists and the outcome statistics
need, each item justified in docs/threat-model.md: the pathway, the status, the month of
submission and of decision, and the number of days from submission to decision. Everything
that identifies the application at an embassy — the embassy and city, reference numbers,
exact dates, appointments, fees, the checklist, the decision's details — is encrypted under
the case key, like the rest of the case.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from refuge.keyring.registry import register_encrypted


class Status(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    SUBMITTED = "submitted", _("Submitted")
    INTERVIEW = "interview", _("Interview")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    APPEAL = "appeal", _("Appeal")


# Decided: the application has its outcome (an appeal reopens a refusal).
DECIDED = (Status.GRANTED.value, Status.REFUSED.value, Status.WITHDRAWN.value)


@register_encrypted(key_field="key", columns=("details",))
class Application(models.Model):
    """One application of one person of a case, on one pathway."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="applications")
    person = models.ForeignKey("cases.Person", on_delete=models.CASCADE, related_name="applications")
    pathway = models.ForeignKey("relocation.Pathway", on_delete=models.PROTECT, related_name="applications")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARING)
    # The first day of the month, never the day: statistics by period (docs/threat-model.md).
    submitted_month = models.DateField(null=True, blank=True)
    decided_month = models.DateField(null=True, blank=True)
    # Whole days from submission to decision: the outcome statistics' durations, without dates.
    decision_days = models.PositiveIntegerField(null=True, blank=True)
    # JSON (refuge/applications/details.py): embassy, city, references, dates, fees, checklist, decision.
    details = models.BinaryField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            # The outcome statistics and the advisor's history group by pathway, status and days
            # to decision, and filter by month: answered from this index alone.
            models.Index(
                fields=["organisation", "pathway", "status", "decision_days", "submitted_month"],
                name="application_outcome_idx",
            ),
            # A caseworker's (or one team member's) outcomes: their cases' applications, from this index alone
            # (SQLite without fresh statistics otherwise reads the organisation's every application).
            models.Index(
                fields=["case", "organisation", "pathway", "status", "decision_days", "submitted_month"],
                name="application_case_outcome_idx",
            ),
            models.Index(fields=["case", "person"]),
        ]

    def __str__(self) -> str:
        return f"application {self.pk}"


# DecisionCount.days of decisions whose days are not known (decided before any submission date).
UNKNOWN_DAYS = -1


class DecisionCount(models.Model):
    """How many of an organisation's applications on a pathway were granted and refused, per days to decision.

    The advisor's history (queries.history_by_pathway) reads these few rows per pathway instead of
    grouping every decided application (BENCHMARKS.md, "outcomes"). Kept by the status action in the
    transaction of each change, recounted from the applications when a case is shredded
    (refuge/applications/tally.py). Derived only from the applications' clear columns (pathway,
    status, days to decision): it adds nothing in clear (docs/threat-model.md).
    """

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="+")
    pathway = models.ForeignKey("relocation.Pathway", on_delete=models.CASCADE, related_name="+")
    days = models.IntegerField()  # whole days from submission to decision; UNKNOWN_DAYS when not known
    granted = models.IntegerField(default=0)
    refused = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "pathway", "days"], name="one_decision_count_per_days")
        ]

    def __str__(self) -> str:
        return f"decisions on pathway {self.pathway_id} after {self.days} days"


@register_encrypted(key_field="key", columns=("detail",))
class StatusChange(models.Model):
    """One dated, attributed step of an application's history; the date and note are encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    # Order without a time in clear: a clock time would date the submission to the minute.
    seq = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    detail = models.BinaryField()  # JSON: {"on": "YYYY-MM-DD", "note": "..."}

    class Meta:
        ordering = ["application", "seq"]
        constraints = [models.UniqueConstraint(fields=["application", "seq"], name="one_status_change_per_seq")]

    def __str__(self) -> str:
        return f"status change {self.seq} of {self.application_id}"


@register_encrypted(key_field="key", columns=("details",))
class TravelLeg(models.Model):
    """One leg of a case's journey; everything about it (dates, places, route, risks, tickets) is encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="travel_legs")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveIntegerField()
    # JSON: departs_on, from, to, transport, transit (countries), exit_risk, accompanied_by, tickets (document ids).
    details = models.BinaryField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["case", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="one_travel_leg_per_seq")]

    def __str__(self) -> str:
        return f"travel leg {self.seq} of {self.case_id}"


@register_encrypted(key_field="key", columns=("details",))
class Journey(models.Model):
    """A case's departure and arrival: the records that move the case to travel, arrived and closed.

    In clear: the months of departure and arrival and the whole days from the case's opening to
    the arrival (the outcome statistics). The departure check, the exact dates, the status at the
    destination and the receiving partner are encrypted under the case key; the first address is
    kept in the requester's arrival compartment, under its own key (travel.py).
    """

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, primary_key=True, related_name="journey")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    departed_month = models.DateField(null=True, blank=True)
    arrived_month = models.DateField(null=True, blank=True)
    days_to_arrival = models.PositiveIntegerField(null=True, blank=True)
    details = models.BinaryField()

    def __str__(self) -> str:
        return f"journey of {self.case_id}"
