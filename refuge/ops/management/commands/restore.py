from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.ops.backup.container import BackupRefused
from refuge.ops.backup.keys import key_from_file, key_from_shares
from refuge.ops.backup.restore import restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `refuge backup` into this new, empty installation (SQLite or PostgreSQL), "
        "opened with recovery shares on standard input or --key-file. All or nothing: a damaged, cut, foreign "
        "or replayed backup is refused and nothing is changed (docs/operations.md, 'Backup and restore')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the backup")
        parser.add_argument("--key-file", metavar="FILE", help="a backup private key instead of recovery shares")
        parser.add_argument(
            "--witness",
            metavar="FILE",
            help="the latest `refuge audit export` kept off the old server: refuse a backup older than it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            witness = Path(options["witness"]).read_text(encoding="utf-8").splitlines() if options["witness"] else None
            if options["key_file"]:
                key = key_from_file(Path(options["key_file"]))
            else:
                if sys.stdin.isatty():
                    self.stdout.write("Type or paste enough recovery key shares, one per line; then Ctrl-D.")
                key = key_from_shares()
            with path.open("rb") as source:
                contents = restore_backup(source, key, witness=witness)
        except BackupRefused as refused:
            raise CommandError(f"REFUSED, nothing was changed: {refused}") from None
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"REFUSED, nothing was changed: cannot read {error}") from None
        self.stdout.write(
            f"Restored backup {contents.backup_id} (made {contents.meta.get('created_at')}): "
            f"{len(contents.tables)} tables, {contents.rows} rows, every hash matches and the audit log verifies.\n"
            "Members log in with their own passwords; run `refuge audit verify` and `refuge check --deploy` now."
        )
