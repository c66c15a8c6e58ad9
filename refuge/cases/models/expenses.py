"""Expenses: amounts in minor units of their currency, the note encrypted."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from refuge.cases.models.case import Case, Currency
from refuge.cases.money import format_amount
from refuge.keyring.registry import register_encrypted


class ExpenseCategory(models.TextChoices):
    TRAVEL = "travel", pgettext_lazy("expense category", "Travel")
    HOUSING = "housing", _("Housing")
    FOOD = "food", _("Food")
    MEDICAL = "medical", _("Medical")
    DOCUMENTS = "documents", _("Documents")
    VISA_FEES = "visa_fees", _("Visa fees")


@register_encrypted(key_field="key", columns=("note",))
class Expense(models.Model):
    """Money spent on a case: category, amount, currency and day in clear (reports), the note encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="expenses")
    key = models.ForeignKey("keyring.Key", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=10, choices=ExpenseCategory.choices)
    # Minor units (cents, kopecks) of `currency` (refuge/cases/money.py); never a float.
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, choices=Currency.choices)
    spent_on = models.DateField()
    note = models.BinaryField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        ordering = ["-spent_on", "-id"]

    def __str__(self) -> str:
        return f"expense {self.pk}"

    @property
    def amount_shown(self) -> str:
        """The amount in the reader's language (1,234.50 or 1 234,50), without the currency."""
        return format_amount(self.amount_minor, self.currency)
