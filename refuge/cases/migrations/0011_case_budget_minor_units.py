"""Case budgets in minor units of the case's currency, as expenses since 0008 (issue #16 item 17).

Before, a budget was a whole number of its currency. Each becomes that amount in minor
units (x 100 for every currency offered), so nothing is lost and nothing is converted.
Going back is possible only while every budget is still a whole amount; otherwise it
stops rather than round money away. The whole-unit column is kept (the previous release
reads it during an upgrade) and the new code keeps writing it; the next release drops it.
"""

from django.db import migrations, models
from django.db.models import F

# Frozen here: the minor-unit digits of every currency a case could have before this migration.
DIGITS = {
    code: 2
    for code in (
        "EUR", "USD", "RUB", "GEL", "AMD", "KZT", "TRY", "CAD", "UAH", "GBP", "AZN", "KGS", "UZS",
        "BYN", "PLN", "CZK", "CHF", "SEK", "NOK", "ILS", "AUD",
    )
}  # fmt: skip


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for currency, digits in DIGITS.items():
        Case.objects.filter(currency=currency, budget__isnull=False).update(budget_minor=F("budget") * 10**digits)
    unknown = Case.objects.filter(budget__isnull=False, budget_minor__isnull=True).values_list("pk", "currency")
    for case_id, currency in unknown[:1]:
        raise RuntimeError(f"Case {case_id} has a budget in {currency}, a currency this migration does not know.")


def backwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for case in Case.objects.filter(budget_minor__isnull=False).iterator():
        whole, fraction = divmod(case.budget_minor, 10 ** DIGITS.get(case.currency, 0))
        if case.currency not in DIGITS or fraction:
            raise RuntimeError(
                f"Case {case.pk} has a budget of {case.budget_minor} minor units of {case.currency}: "
                "the old schema holds only whole amounts."
            )
        case.budget = whole
        case.save(update_fields=["budget"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_compartment_files"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="budget_minor",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
        # `budget` stays, written in whole units beside budget_minor, while the previous release
        # may still run (docs/operations.md); the release after this one drops it.
    ]
