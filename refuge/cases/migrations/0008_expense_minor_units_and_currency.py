"""Expenses in minor units and their own currency (issue #16 item 17).

Before, an expense was a whole number in its case's currency. Each becomes that amount
in minor units (x 100 for every currency offered) with the case's currency written on
the expense, so nothing is lost and no conversion is made. Going back is possible only
while every expense is still a whole amount in its case's currency; otherwise it stops
rather than round money away.
"""

from django.db import migrations, models
from django.db.models import F

# Frozen here: the minor-unit digits of the currencies a case could have before this migration.
OLD_CURRENCIES = {"EUR": 2, "USD": 2, "RUB": 2, "GEL": 2, "AMD": 2, "KZT": 2, "TRY": 2, "CAD": 2}
CURRENCIES = [
    "EUR", "USD", "RUB", "GEL", "AMD", "KZT", "TRY", "CAD", "UAH", "GBP", "AZN", "KGS", "UZS",
    "BYN", "PLN", "CZK", "CHF", "SEK", "NOK", "ILS", "AUD",
]  # fmt: skip
CHOICES = [(code, code) for code in CURRENCIES]


def forwards(apps, schema_editor):
    Expense = apps.get_model("cases", "Expense")
    for currency, digits in OLD_CURRENCIES.items():
        Expense.objects.filter(case__currency=currency).update(
            currency=currency, amount_minor=F("amount") * 10**digits
        )


def backwards(apps, schema_editor):
    Expense = apps.get_model("cases", "Expense")
    for expense in Expense.objects.select_related("case").iterator():
        digits = OLD_CURRENCIES.get(expense.currency)
        whole, fraction = divmod(expense.amount_minor, 10 ** (digits or 0))
        if digits is None or expense.currency != expense.case.currency or fraction:
            raise RuntimeError(
                f"Expense {expense.pk} is {expense.amount_minor} minor units of {expense.currency}: "
                "the old schema holds only whole amounts in the case's currency."
            )
        expense.amount = whole
        expense.save(update_fields=["amount"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0007_blind_index_v2"),
    ]

    operations = [
        migrations.AlterField(
            model_name="case",
            name="currency",
            field=models.CharField(choices=CHOICES, default="EUR", max_length=3),
        ),
        migrations.AddField(
            model_name="expense",
            name="currency",
            field=models.CharField(choices=CHOICES, default="EUR", max_length=3),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="expense",
            name="amount_minor",
            field=models.PositiveBigIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="expense",
            name="amount",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
        migrations.RemoveField(
            model_name="expense",
            name="amount",
        ),
    ]
