from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.accounts.actions.members import do_create_member
from refuge.accounts.models import Organisation, Role
from refuge.core.errors import UserError
from refuge.ops.management.commands._base import enrolment_text, read_password


class Command(BaseCommand):
    help = "Create a staff account and print its TOTP secret and personal recovery key (once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="the organisation's short name")
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--password-file", help="file whose first line is the password (else asked)")

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"].strip().lower()).first()
        if organisation is None:
            raise CommandError(f"no organisation with the short name {options['org']!r}")
        password = read_password(options["password_file"])
        try:
            enrolment = do_create_member(
                actor=None,
                organisation=organisation,
                username=options["username"],
                role=options["role"],
                password=password,
            )
        except UserError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write("Account created (copy now; shown only once):")
        self.stdout.write(enrolment_text(enrolment))
        if enrolment.user.role in {Role.INTAKE, Role.COORDINATOR}:
            self.stdout.write(
                "The keys of this role are owed to the account: a member holding each key approves it on /grants/."
            )
