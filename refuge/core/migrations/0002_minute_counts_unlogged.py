"""On PostgreSQL, the brake counts need no WAL: an UNLOGGED table (refuge/core/models.py)."""

from django.db import migrations


def _unlogged(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "core_minutecount" SET UNLOGGED')


def _logged(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "core_minutecount" SET LOGGED')


class Migration(migrations.Migration):
    dependencies = [("core", "0001_minute_counts")]

    operations = [migrations.RunPython(_unlogged, _logged, elidable=False)]
