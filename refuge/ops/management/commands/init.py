from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the secret files (if missing) and the database tables. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        # The secret files were created by the `refuge` entry point before Django
        # started (settings need them); here the database is brought up to date.
        call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        db = settings.DATABASES["default"]
        where = db["NAME"] if db["ENGINE"].endswith("sqlite3") else f"{db.get('HOST') or 'local socket'}/{db['NAME']}"
        self.stdout.write(
            f"Refuge is initialised.\n  data directory: {settings.DATA_DIR}\n  database:       {where}\n"
            f"  secrets:        {settings.SECRETS_DIR} (not part of the data directory: keep it out of backups)"
        )
