"""A case, its team, and the choices of its own fields (priority, stage, closing reason, currency)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from refuge.keyring.registry import register_encrypted


class Priority(models.TextChoices):
    """UNHCR levels; each implies how soon the person should be safe."""

    EMERGENCY = "emergency", _("Emergency")
    URGENT = "urgent", _("Urgent")
    NORMAL = "normal", _("Normal")


# Days from opening (or from raising the priority) to the due date: UNHCR targets of
# about 7 days, 6 weeks and 12 months (DOMAIN.md).
PRIORITY_DUE_DAYS = {Priority.EMERGENCY: 7, Priority.URGENT: 42, Priority.NORMAL: 365}


PRIORITY_RANK = {Priority.EMERGENCY: 0, Priority.URGENT: 1, Priority.NORMAL: 2}


class Stage(models.TextChoices):
    NEW = "new", _("New")
    SCREENING = "screening", _("Screening")
    # The same English word names other things ("Accepted" request, "Travel" expenses, attached
    # "Documents"); a context lets a translation agree with "case" and mean the stage.
    ACCEPTED = "accepted", pgettext_lazy("case stage", "Accepted")
    DECLINED = "declined", _("Declined")
    SHELTERED = "sheltered", _("Sheltered")
    DOCUMENTS = "documents", pgettext_lazy("case stage", "Documents")
    APPLYING = "applying", _("Applying")
    TRAVEL = "travel", pgettext_lazy("case stage", "Travel")
    ARRIVED = "arrived", _("Arrived")
    CLOSED = "closed", _("Closed")


def choice_label(choices: type[models.TextChoices], value: Any) -> str:
    """The translated label of one value of `choices` (the value as text if it is not one)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


# Stages a case ends in: it leaves the open lists (and `Case.still_open` is false).
CLOSED_STAGES: tuple[str, ...] = (Stage.CLOSED.value, Stage.DECLINED.value)


class ClosingReason(models.TextChoices):
    # "Lost contact" is deliberately not here: it is an alarm on an open case.
    RELOCATED = "relocated", _("Relocated")
    SELF_RELOCATED = "self_relocated", _("Relocated on their own")
    WITHDREW = "withdrew", _("Withdrew")
    INELIGIBLE = "ineligible", _("Not eligible")
    REFERRED = "referred", _("Referred elsewhere")


class Currency(models.TextChoices):
    EUR = "EUR", "EUR"
    USD = "USD", "USD"
    RUB = "RUB", "RUB"
    GEL = "GEL", "GEL"
    AMD = "AMD", "AMD"
    KZT = "KZT", "KZT"
    TRY = "TRY", "TRY"
    CAD = "CAD", "CAD"
    UAH = "UAH", "UAH"
    GBP = "GBP", "GBP"
    AZN = "AZN", "AZN"
    KGS = "KGS", "KGS"
    UZS = "UZS", "UZS"
    BYN = "BYN", "BYN"
    PLN = "PLN", "PLN"
    CZK = "CZK", "CZK"
    CHF = "CHF", "CHF"
    SEK = "SEK", "SEK"
    NOK = "NOK", "NOK"
    ILS = "ILS", "ILS"
    AUD = "AUD", "AUD"


@register_encrypted(key_field="key", columns=("summary",))
class Case(models.Model):
    """One case: a request accepted for help, carried to arrival or closing."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="cases")
    # Staff-facing code, random, unrelated to the request reference: "C-4QX7PM".
    reference = models.CharField(max_length=12, unique=True)
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    request = models.OneToOneField(
        "intake.HelpRequest", on_delete=models.SET_NULL, null=True, blank=True, related_name="case"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.NEW)
    closing_reason = models.CharField(max_length=16, choices=ClosingReason.choices, blank=True, default="")
    # An alarm, not a stage: the person stopped answering (DOMAIN.md, "lost contact").
    lost_contact_since = models.DateField(null=True, blank=True)
    pathway = models.ForeignKey(
        "relocation.Pathway", on_delete=models.SET_NULL, null=True, blank=True, related_name="cases"
    )
    opened_on = models.DateField()
    due_on = models.DateField()
    stage_changed_on = models.DateField()
    last_activity_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    # Minor units (cents, kopecks) of `currency` (refuge/cases/money.py), as expenses; never a float.
    budget_minor = models.PositiveBigIntegerField(null=True, blank=True)
    # The previous release's budget, in whole units: still written (budget_minor rounded down to
    # whole units) so that release keeps running beside this one during an upgrade; the next
    # release drops it (docs/operations.md, "Upgrades that keep the previous release running").
    budget = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.EUR)
    # The case narrative (at first, the request as the requester wrote it).
    summary = models.BinaryField()
    # Bumped by every edit of the case's own fields: a form carries the version it was
    # read at, so two caseworkers never silently overwrite each other.
    version = models.PositiveIntegerField(default=1)
    # Computed by the database from `stage` (never written by the application): the open
    # cases are a small part of a long-running organisation's cases, and the default list,
    # the home page and every count of them read `case_open_idx` instead of all cases.
    # In Python, use `is_open` (from `stage`, current before a save).
    still_open = models.GeneratedField(
        # A Q is an expression to Django (it resolves to a condition), not to django-stubs.
        expression=~models.Q(stage__in=list(CLOSED_STAGES)),  # type: ignore[arg-type]
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        indexes = [
            # The default case list (open cases, in list order), from the index alone. The
            # condition is written as the queries write it, a bare `WHERE still_open`, so
            # SQLite can use this partial index (it could not with a bound `= ?`).
            models.Index(
                fields=["organisation", "due_on", "reference", "stage", "priority", "pathway"],
                name="case_open_idx",
                condition=models.Q(still_open=True),
            ),
            # The case list: every filter on these columns is answered from this index alone,
            # in list order, without reading the rows (BENCHMARKS.md, 100,000 cases).
            # opened_on last: the "opened between" filter is checked in the index too, where
            # PostgreSQL otherwise read 25,000 rows for a page (the dates follow the due order).
            models.Index(
                fields=["organisation", "due_on", "reference", "stage", "priority", "pathway", "opened_on"],
                name="case_list_idx",
            ),
            # A priority among the open cases (the list's usual filter), in list order.
            models.Index(
                fields=["organisation", "priority", "due_on", "reference", "stage", "pathway"],
                name="case_open_priority_idx",
                condition=models.Q(still_open=True),
            ),
            # A member's cases (their team rows name a few thousand at most) looked up by id
            # without reading the rows, which carry the encrypted summary: half the time.
            models.Index(
                fields=["id", "organisation", "still_open", "due_on", "reference", "stage", "priority", "pathway"],
                name="case_by_id_idx",
            ),
            # Covering too: a stage or a priority, in list order, without reading the rows.
            models.Index(fields=["organisation", "stage", "due_on", "reference"], name="case_stage_idx"),
            models.Index(fields=["organisation", "priority", "due_on", "reference", "stage"], name="case_priority_idx"),
            models.Index(fields=["organisation", "opened_on"]),
            models.Index(fields=["organisation", "pathway"]),
            # The lost-contact alarm: few rows, read on every coordinator's home page.
            models.Index(
                fields=["organisation", "lost_contact_since"],
                name="case_lost_contact_idx",
                condition=models.Q(lost_contact_since__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.stage not in CLOSED_STAGES

    # Django's own get_FOO_display() translates every label of the choices on each call (it
    # hashes them all); lists show these on every row, so each translates just its own.
    def get_priority_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Priority, self.priority)

    def get_stage_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(Stage, self.stage)

    def get_closing_reason_display(self) -> str:  # type: ignore[no-redef]
        return choice_label(ClosingReason, self.closing_reason)


class TeamMember(models.Model):
    """A member on a case's team: holds the case key. Only actions write this table."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="case_teams")
    lead = models.BooleanField(default=False)
    added_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="one_team_row_per_member")]
        indexes = [models.Index(fields=["user", "case"])]

    def __str__(self) -> str:
        return f"team member {self.user_id} of {self.case_id}"
