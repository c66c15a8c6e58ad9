"""Drop single-column indexes that a composite index beginning with the same column covers.

Every lookup they served is served by the composite (its first column), and each was one
more page written per new row (bench/_wal_pages.py; docs/architecture.md). The fields keep
their foreign keys; only the index goes. The state says `db_index=False`; the database is
changed with DROP INDEX, because Django's AlterField on SQLite would copy the whole table
into a new one, and that copy would renumber the hidden rowids that requester rows hold
(refuge/intake/unordered.py).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_surge_notices'),
        ('cases', '0012_compartment_for_the_address_after_arrival'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='caseindex',
                    name='organisation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX "cases_caseindex_organisation_id_5e7186c4"',
                    reverse_sql='CREATE INDEX "cases_caseindex_organisation_id_5e7186c4" ON "cases_caseindex" ("organisation_id")',
                ),
            ],
        ),
    ]
