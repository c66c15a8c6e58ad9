from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.accounts.actions.organisation import do_verify_recovery_shares
from refuge.accounts.models import Organisation
from refuge.core.errors import UserError
from refuge.safety.actions.lockout import do_lift_emergency_lock


class Command(BaseCommand):
    help = (
        "verify: read recovery key shares (one per line, from standard input) and check that "
        "they rebuild the organisation recovery key, by comparing with its public key. "
        "Run it with the coordinators present, e.g. once a year, so a lost share is noticed "
        "while there is still time to make new ones. The rebuilt key is never stored. "
        "lift-emergency-lock: with the same shares, lift the organisation's emergency lock "
        "(every account it locked can log in again)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "lift-emergency-lock"])
        parser.add_argument("--org", required=True, help="the organisation's short name")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"].strip().lower()).first()
        if organisation is None:
            raise CommandError(f"no organisation with the short name {options['org']!r}")
        if sys.stdin.isatty():
            self.stdout.write(
                f"Type or paste at least {organisation.recovery_threshold} shares, one per line; then Ctrl-D."
            )
        shares = [line.strip() for line in sys.stdin.read(64_000).splitlines() if line.strip()]
        try:
            if options["action"] == "lift-emergency-lock":
                unlocked = do_lift_emergency_lock(organisation=organisation, shares=shares)
                self.stdout.write(f"OK: the emergency lock is lifted; {unlocked} accounts can log in again.")
                return
            do_verify_recovery_shares(organisation=organisation, shares=shares)
        except UserError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write("OK: these shares rebuild the organisation recovery key.")
