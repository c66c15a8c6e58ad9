from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from refuge.accounts import totp
from refuge.accounts.actions.members import do_create_member
from refuge.accounts.actions.organisation import do_create_organisation
from refuge.accounts.grants import do_approve_grants_owed_to
from refuge.accounts.models import Organisation, Role
from refuge.core.env import env_int, env_str
from refuge.keyring.keyring import Keyring
from refuge.ops.demo_data import create_demo_cases, create_demo_requests

DEMO_SLUG = "demo"
DEMO_USERS = [
    ("coordinator", Role.COORDINATOR),
    ("caseworker-anna", Role.CASEWORKER),
    ("caseworker-boris", Role.CASEWORKER),
    ("intake", Role.INTAKE),
    ("auditor", Role.AUDITOR),
    ("admin", Role.ADMINISTRATOR),
]


def _password(username: str) -> str:
    return f"demo-{username}-pass"


class Command(BaseCommand):
    help = (
        "Initialise, create the demo organisation (short name 'demo') with a coordinator, two "
        "caseworkers, an intake member, an auditor and an administrator, print how to log in, "
        "and serve. Demo only: it writes the demo logins and TOTP secrets to a file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="set up and print logins, then exit")
        parser.add_argument(
            "--codes", action="store_true", help="print the current TOTP codes of the demo users and exit"
        )
        parser.add_argument("--port", type=int, default=env_int("REFUGE_PORT", 8000, minimum=1, maximum=65535))

    def handle(self, *args: Any, **options: Any) -> None:
        logins_file = settings.DATA_DIR / "demo" / "logins.json"
        if options["codes"]:
            self._print_codes(json.loads(logins_file.read_text()))
            return
        call_command("init", verbosity=0)
        if not Organisation.objects.filter(slug=DEMO_SLUG).exists():
            logins = self._create()
            logins_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(logins_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(logins, handle, indent=2)
        logins = json.loads(logins_file.read_text())
        host = env_str("REFUGE_HOST", "127.0.0.1")
        self._print_logins(logins, f"http://{host}:{options['port']}/")
        if not options["no_serve"]:
            call_command("serve", port=options["port"], host=host)

    def _create(self) -> dict[str, Any]:
        setup = do_create_organisation(
            name="Demo Rainbow Network",
            slug=DEMO_SLUG,
            coordinator_username="coordinator",
            coordinator_password=_password("coordinator"),
        )
        secrets = {"coordinator": setup.coordinator.totp_secret}
        enrolments = {}
        for username, role in DEMO_USERS[1:]:
            enrolment = do_create_member(
                actor=None, organisation=setup.organisation, username=username, role=role, password=_password(username)
            )
            secrets[username] = enrolment.totp_secret
            enrolments[username] = enrolment
        # The coordinator approves the keys owed to the staff they set up (the intake key).
        do_approve_grants_owed_to(
            actor=setup.coordinator.user,
            keyring=Keyring(setup.coordinator.user, setup.coordinator.private_key),
            members=[enrolment.user for enrolment in enrolments.values()],
        )
        intake = enrolments["intake"]
        submissions = create_demo_requests(setup.organisation, intake.user, intake.private_key)
        create_demo_cases(
            organisation=setup.organisation,
            coordinator=setup.coordinator.user,
            coordinator_key=setup.coordinator.private_key,
            caseworker=enrolments["caseworker-anna"].user,
            caseworker_key=enrolments["caseworker-anna"].private_key,
            intake=intake.user,
            intake_key=intake.private_key,
            submissions=submissions,
        )
        return {
            "organisation": DEMO_SLUG,
            "recovery_shares": setup.recovery_shares,
            # Demo only: receipts are never stored by a real installation.
            "receipts": [submission.receipt for submission in submissions],
            "users": [
                {"username": u, "role": str(r), "password": _password(u), "totp_secret": secrets[u]}
                for u, r in DEMO_USERS
            ],
        }

    def _print_logins(self, logins: dict[str, Any], url: str) -> None:
        self.stdout.write(
            f"\nRefuge demo — open {url}login/ and log in with organisation '{logins['organisation']}':\n"
        )
        for user in logins["users"]:
            self.stdout.write(
                f"  {user['username']:<17} {user['role']:<14} password {user['password']:<30} TOTP secret {user['totp_secret']}"
            )
        if logins.get("receipts"):
            self.stdout.write(
                f"\n{len(logins['receipts'])} invented requests: two are open cases of caseworker-anna, the others wait in the "
                f"intake inbox. The requester portal is at "
                f"{url}r/{logins['organisation']}/ ; a demo receipt to check a request with: {logins['receipts'][0]}"
            )
        self.stdout.write(
            "\nThe code field wants the 6-digit code of an authenticator app set up with the TOTP secret,\n"
            "or run `make demo-codes` (refuge demo --codes) in another terminal to print the current codes.\n"
            "DEMO ONLY: these logins are kept in var/demo/logins.json; a real installation never stores them.\n"
        )

    def _print_codes(self, logins: dict[str, Any]) -> None:
        for user in logins["users"]:
            self.stdout.write(f"{user['username']:<17} {totp.code_at(user['totp_secret'])}")
