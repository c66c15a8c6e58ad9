"""Blind indexes of people, version 2 (issue #16): see refuge/intake/migrations/_blind_index_v2.py."""

from django.db import migrations

from refuge.intake.migrations import _blind_index_v2


def forwards(apps, schema_editor):
    _blind_index_v2.stretch_all(apps.get_model("cases", "CaseIndex"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_event_kind_lead"),
        ("intake", "0004_blind_index_v2"),
    ]

    operations = [
        migrations.RunPython(forwards, elidable=False),
    ]
