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
        ('intake', '0007_merged_requests'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='helprequest',
                    name='organisation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='accounts.organisation'),
                ),
                migrations.AlterField(
                    model_name='requestindex',
                    name='organisation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX "intake_helprequest_organisation_id_2f488ff6"',
                    reverse_sql='CREATE INDEX "intake_helprequest_organisation_id_2f488ff6" ON "intake_helprequest" ("organisation_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX "intake_requestindex_organisation_id_ff429e7a"',
                    reverse_sql='CREATE INDEX "intake_requestindex_organisation_id_ff429e7a" ON "intake_requestindex" ("organisation_id")',
                ),
            ],
        ),
    ]
