from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.accounts.actions.organisation import do_create_organisation
from refuge.core.errors import UserError
from refuge.ops.management.commands._base import enrolment_text, read_password


class Command(BaseCommand):
    help = (
        "Create an organisation with its recovery key, split into m-of-n shares for "
        "coordinators, and its first coordinator account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="the organisation's name")
        parser.add_argument("--slug", required=True, help="short name used at login, e.g. 'northern-rainbow'")
        parser.add_argument("--coordinator", required=True, help="username of the first coordinator")
        parser.add_argument("--password-file", help="file whose first line is the coordinator's password (else asked)")
        parser.add_argument(
            "--threshold", type=int, default=2, help="shares needed to rebuild the recovery key (default 2)"
        )
        parser.add_argument("--shares", type=int, default=3, help="number of shares to print (default 3)")
        parser.add_argument(
            "--allow-one-share",
            action="store_true",
            help="accept --threshold 1: any one share alone then rebuilds the recovery key",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["threshold"] == 1 and not options["allow_one_share"]:
            # The recovery key opens every case: one lost, copied or coerced paper must not be enough.
            raise CommandError(
                "With --threshold 1 any one share rebuilds the organisation recovery key, which opens every "
                "case. Use --threshold 2 or more, or add --allow-one-share if that is really meant."
            )
        password = read_password(options["password_file"], prompt="Coordinator's password: ")
        try:
            setup = do_create_organisation(
                name=options["name"],
                slug=options["slug"],
                coordinator_username=options["coordinator"],
                coordinator_password=password,
                threshold=options["threshold"],
                shares=options["shares"],
            )
        except UserError as error:
            raise CommandError(str(error.message)) from None
        org = setup.organisation
        if org.recovery_threshold == 1:
            self.stderr.write(
                "WARNING: threshold 1: whoever holds any one share can rebuild the recovery key and open every case."
            )
        self.stdout.write(f"Organisation {org.name!r} created (login short name: {org.slug}).\n")
        self.stdout.write(
            f"ORGANISATION RECOVERY KEY — {org.recovery_threshold} of these {org.recovery_shares} shares rebuild it.\n"
            "Give each share to a different coordinator, on paper. They are shown only now and\n"
            "are not stored anywhere: with fewer than the threshold, nobody can rebuild the key.\n"
        )
        for number, share in enumerate(setup.recovery_shares, start=1):
            self.stdout.write(f"  share {number}: {share}")
        self.stdout.write("\nFirst coordinator (copy now; shown only once):")
        self.stdout.write(enrolment_text(setup.coordinator))
