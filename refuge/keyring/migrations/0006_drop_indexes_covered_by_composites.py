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
        ('keyring', '0005_organisation_keys_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='key',
                    name='organisation',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='keys', to='accounts.organisation'),
                ),
                migrations.AlterField(
                    model_name='keywrap',
                    name='key',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='wraps', to='keyring.key'),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX "keyring_key_organisation_id_54b2b5e9"',
                    reverse_sql='CREATE INDEX "keyring_key_organisation_id_54b2b5e9" ON "keyring_key" ("organisation_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX "keyring_keywrap_key_id_fd722ac7"',
                    reverse_sql='CREATE INDEX "keyring_keywrap_key_id_fd722ac7" ON "keyring_keywrap" ("key_id")',
                ),
            ],
        ),
    ]
