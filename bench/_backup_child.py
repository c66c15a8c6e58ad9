"""Fill an installation with stored files for bench/backup.py (production settings, its own data directory).

    python -m bench._backup_child fill MEGABYTES

Adds case documents of 10 MiB (the size of the largest upload) to the demo organisation's
first case until MEGABYTES are stored. Their columns hold random bytes: a backup copies
ciphertext as it is and never decrypts it, and random bytes are as incompressible as
ciphertext, so the baseline's zstd gains nothing either way.
"""

from __future__ import annotations

import os
import sys
import uuid

import django

FILE_BYTES = 10 * 1024 * 1024


def fill(megabytes: int) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from refuge.cases.models import Case, CaseDocument

    case = Case.objects.order_by("reference").first()
    if case is None:
        raise SystemExit("run `refuge demo --no-serve` first")
    count = megabytes * 1024 * 1024 // FILE_BYTES
    for _ in range(count):
        with transaction.atomic():
            CaseDocument.objects.create(
                id=uuid.uuid4(),
                case=case,
                key_id=case.key_id,
                file_key=os.urandom(72),
                name=os.urandom(60),
                removed=os.urandom(40),
                kind="pdf",
                size=FILE_BYTES,
                data=os.urandom(FILE_BYTES),
                uploaded_by=None,
                created_at=timezone.now(),
            )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # The baseline tars the database file: everything in it, nothing left in the WAL.
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    print(count)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "refuge.settings")
    django.setup()
    fill(int(sys.argv[2]))
