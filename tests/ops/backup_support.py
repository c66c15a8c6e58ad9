"""Demo data with files, and everything in it that the recovery key opens, for the backup tests."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from refuge.accounts import totp
from refuge.accounts.login import check_login
from refuge.cases.actions.documents import do_add_document
from refuge.cases.models import Case
from refuge.crypto import combine_shares, open_sealed
from refuge.intake.uploads.sanitise import CleanUpload
from refuge.keyring.files import decrypt_file_content
from refuge.keyring.keyring import Keyring
from refuge.keyring.models import HolderKind, Key, KeyWrap
from refuge.keyring.registry import decrypt_column, open_sealed_column, registrations
from refuge.ops.backup.make import make_backup
from refuge.ops.backup.restore import _clear
from refuge.ops.backup.tables import backed_up_tables, encode_row, iter_rows
from refuge.ops.management.commands.demo import Command as DemoCommand

BIG_FILE = os.urandom(3 * 1024 * 1024 + 17)  # several stream chunks, not a multiple of any


@dataclass
class Demo:
    shares: list[str]
    recovery_key: bytes
    keyring: Keyring  # caseworker-anna's, unlocked
    case: Case  # anna's first case, with the two documents


def make_demo() -> Demo:
    """The demo organisation (`refuge demo`'s data) and two case documents, one of 3 MiB."""
    logins = DemoCommand()._create()
    anna = next(user for user in logins["users"] if user["username"] == "caseworker-anna")
    login = check_login(
        organisation_slug="demo",
        username="caseworker-anna",
        password=anna["password"],
        code=totp.code_at(anna["totp_secret"]),
    )
    assert login.private_key is not None
    keyring = Keyring(login.user, login.private_key)
    case = Case.objects.filter(team__user=login.user).order_by("reference").first()
    assert case is not None
    for name, data in (("passport.pdf", b"%PDF-1.7 small"), ("scan.pdf", BIG_FILE)):
        do_add_document(
            actor=login.user, keyring=keyring, case=case, upload=CleanUpload(kind="pdf", data=data, name=name)
        )
    return Demo(
        shares=logins["recovery_shares"],
        recovery_key=combine_shares(logins["recovery_shares"]),
        keyring=keyring,
        case=case,
    )


def recovery_secrets(private: bytes) -> dict[Any, bytes]:
    """Every current key the recovery key opens, directly or through a group key."""
    secrets: dict[Any, bytes] = {}
    for wrap in KeyWrap.objects.filter(holder_kind=HolderKind.RECOVERY).select_related("key"):
        if wrap.key_version == wrap.key.version:
            secrets[wrap.key_id] = open_sealed(private, bytes(wrap.wrapped))
    for wrap in KeyWrap.objects.filter(holder_kind=HolderKind.GROUP).select_related("key"):
        if wrap.holder_key_id in secrets and wrap.key_version == wrap.key.version:
            secrets.setdefault(wrap.key_id, open_sealed(secrets[wrap.holder_key_id], bytes(wrap.wrapped)))
    return secrets


def plaintexts(private: bytes) -> dict[tuple[str, str, str], bytes]:
    """Every encrypted column and file the recovery key opens, decrypted."""
    secrets = recovery_secrets(private)
    keys = {key.pk: key for key in Key.objects.all()}
    found: dict[tuple[str, str, str], bytes] = {}
    for registration in registrations():
        for row in registration.model._default_manager.all():
            key_id = getattr(row, registration.key_attname)
            if key_id not in secrets:
                continue
            key, secret = keys[key_id], secrets[key_id]
            where = (registration.model._meta.label, str(row.pk))
            for column in registration.columns:
                if getattr(row, column):
                    found[(*where, column)] = decrypt_column(row, column, secret, key)
            for column in registration.sealed:
                if getattr(row, column):
                    found[(*where, column)] = open_sealed_column(row, column, secret, key)
            if "file_key" in registration.columns:
                found[(*where, "data")] = decrypt_file_content(row, secret, key)
    return found


def table_digests(skip: tuple[str, ...] = ()) -> dict[str, list[bytes]]:
    """Every backed-up table's rows, encoded as a backup writes them."""
    return {
        table.label: [encode_row(table, values) for values in iter_rows(table)]
        for table in backed_up_tables()
        if table.label not in skip
    }


def backup_bytes(**options: Any) -> bytes:
    sink = io.BytesIO()
    make_backup(sink, extra_recipients=options.get("extra_recipients", []))
    return sink.getvalue()


def wipe() -> None:
    """What a new installation holds: no rows in any table a backup carries."""
    with transaction.atomic():
        for table in backed_up_tables():
            _clear(table)
