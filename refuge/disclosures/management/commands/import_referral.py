"""`refuge import-referral FILE`: open a case from another Refuge installation's packet (refuge/disclosures/referrals.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.accounts.models import User
from refuge.core.errors import UserError
from refuge.disclosures.referrals import (
    MAX_KEY_FILE_BYTES,
    MAX_REFERRAL_BYTES,
    do_import_referral,
    identity_in_key_file,
    read_referral,
)


def _read(path: str, limit: int, what: str) -> bytes:
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise CommandError(f"cannot read {what} {path}: {error.strerror}") from None
    if len(data) > limit:
        raise CommandError(f"{path} is larger than any {what} can be")
    return data


class Command(BaseCommand):
    help = (
        "Import a disclosure packet from another Refuge installation as a new case of this organisation, "
        "under its own keys, led by the coordinator named. Nothing is written unless the whole packet checks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the packet (packet.zip.age) as downloaded")
        parser.add_argument("--org", required=True, help="the receiving organisation's short name")
        parser.add_argument("--coordinator", required=True, help="the coordinator who leads the new case")
        parser.add_argument(
            "--identity", required=True, help="the organisation's age key file (age-keygen -o FILE; keep it offline)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        coordinator = (
            User.objects.select_related("organisation")
            .filter(organisation__slug=options["org"].strip().lower(), username=options["coordinator"].strip())
            .first()
        )
        if coordinator is None:
            raise CommandError("no such member in that organisation")
        key_file = _read(options["identity"], MAX_KEY_FILE_BYTES, "key file")
        sealed = _read(options["file"], MAX_REFERRAL_BYTES, "packet")
        try:
            identity = identity_in_key_file(key_file)
            referral = read_referral(sealed, identity)
            case = do_import_referral(coordinator=coordinator, referral=referral)
        except UserError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"Imported as case {case.reference}, led by {coordinator.username}.")
        if referral.acknowledgement:
            self.stdout.write(f"Confirmation code to give the sending organisation: {referral.acknowledgement}")
