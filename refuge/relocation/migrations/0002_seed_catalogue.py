"""Load the pathway catalogue, so every installation starts with it."""

from django.db import migrations


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    from refuge.relocation.seed import seed_into

    seed_into(apps.get_model("relocation", "Pathway"))


class Migration(migrations.Migration):
    dependencies = [("relocation", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
