"""Blind indexes of requests, version 2 (issue #16): see _blind_index_v2."""

from django.db import migrations

from refuge.intake.migrations import _blind_index_v2


def forwards(apps, schema_editor):
    _blind_index_v2.stretch_all(apps.get_model("intake", "RequestIndex"))


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0003_helprequest_portal_epoch"),
    ]

    operations = [
        migrations.RunPython(forwards, elidable=False),
    ]
