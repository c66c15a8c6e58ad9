from __future__ import annotations

import base64
import binascii
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.ops.backup.container import BackupRefused
from refuge.ops.backup.keys import key_from_file, key_from_shares, new_backup_key
from refuge.ops.backup.make import write_backup_file
from refuge.ops.backup.read import verify_backup


class Command(BaseCommand):
    help = (
        "Write one encrypted file holding a consistent snapshot of the whole installation, while it runs; "
        "or check one with --verify; or make a backup key with --new-key (docs/operations.md, 'Backup and restore')."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--output", "-o", metavar="FILE", help="write a new backup here")
        what.add_argument("--verify", metavar="FILE", help="read a backup through and check it, restoring nothing")
        what.add_argument(
            "--new-key", metavar="FILE", help="write a new backup private key here and print its public key"
        )
        parser.add_argument(
            "--to",
            action="append",
            default=[],
            metavar="PUBLIC_KEY",
            help="also encrypt to this backup public key (base64); REFUGE_BACKUP_PUBLIC_KEYS are always added",
        )
        parser.add_argument(
            "--key-file",
            metavar="FILE",
            help="with --verify: open the backup with this backup private key instead of recovery shares on standard input",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["new_key"]:
                self._new_key(Path(options["new_key"]))
            elif options["verify"]:
                self._verify(Path(options["verify"]), options["key_file"])
            else:
                self._backup(Path(options["output"]), options["to"])
        except BackupRefused as refused:
            raise CommandError(f"REFUSED: {refused}") from None

    def _new_key(self, path: Path) -> None:
        try:
            public = new_backup_key(path)
        except FileExistsError:
            raise CommandError(f"{path} exists: a backup key is never overwritten") from None
        self.stdout.write(
            f"Backup private key written to {path}: keep it offline, away from the backups.\n"
            f"Public key (set REFUGE_BACKUP_PUBLIC_KEYS to it, or pass --to): {base64.b64encode(public).decode()}"
        )

    def _backup(self, path: Path, extra: list[str]) -> None:
        keys = []
        for value in extra:
            try:
                key = base64.b64decode(value, validate=True)
            except binascii.Error:
                key = b""
            if len(key) != 32:
                raise CommandError(f"--to wants a backup public key (32 bytes in base64), not {value!r}")
            keys.append(key)
        try:
            report = write_backup_file(path, extra_recipients=keys)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Backup {report.backup_id} written to {path}: {len(report.tables)} tables, {report.rows} rows, "
            f"{path.stat().st_size} bytes.\nCheck it with `refuge backup --verify {path}`."
        )

    def _verify(self, path: Path, key_file: str | None) -> None:
        if key_file:
            key = key_from_file(Path(key_file))
        else:
            if sys.stdin.isatty():
                self.stdout.write("Type or paste enough recovery key shares, one per line; then Ctrl-D.")
            key = key_from_shares()
        try:
            with path.open("rb") as source:
                contents = verify_backup(source, key)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        meta = contents.meta
        self.stdout.write(
            f"OK: backup {contents.backup_id} made {meta.get('created_at')} by Refuge {meta.get('refuge_version')} "
            f"on {meta.get('database')}: {len(contents.tables)} tables, {contents.rows} rows, every hash matches."
        )
