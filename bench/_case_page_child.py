"""Child of bench/case_page.py: one build's data directory with one busy case, made through the real actions.

Run with REFUGE_DATA_DIR (a fresh directory), DJANGO_SETTINGS_MODULE (refuge.settings, or
bench.plaintext_settings for the build with encryption switched off), PYTHONPATH (the
repository) and, for PostgreSQL, DATABASE_URL. It runs `refuge init` and `refuge createorg`,
then, in this process, opens a case the way the workspace does and fills it as a case is
after some weeks of work; it writes what the measuring side needs (ids, the login) as JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.server import create_organisation as _create  # noqa: E402
from tests.support.server import run_refuge  # noqa: E402

ORGANISATION = "bench"
NOTES, TASKS, EXPENSES, MESSAGES = 12, 8, 6, 6
NARRATIVE = (
    "They came to the flat at night and took my phone. I was held for two days and asked for the names "
    "of others. My family found out and my uncle says he will deal with it himself. I am staying with a "
    "friend in another city now, but I cannot stay long and I am afraid to use my own documents. "
) * 4


def _env() -> dict[str, str]:
    passed = ("DJANGO_SETTINGS_MODULE", "PYTHONPATH", "DATABASE_URL")
    return {name: os.environ[name] for name in passed if os.environ.get(name)}


def create_organisation(data_dir: Path, password: str) -> str:
    """`refuge init` and `refuge createorg` in this build; the coordinator's TOTP secret."""
    # `init` writes the secret files and the schema, the same for both builds (the benchmark build
    # adds no models); only `refuge.settings` may create the secret files (refuge/cli.py).
    run_refuge(data_dir, "init", **{**_env(), "DJANGO_SETTINGS_MODULE": "refuge.settings"})
    created = _create(data_dir, slug=ORGANISATION, coordinator="coord", password=password, name="Bench", **_env())
    return created.totp_secret


def fill_case(password: str) -> dict[str, Any]:
    """Open one case from a request and fill it through the actions; the ids to measure."""
    from django.utils import timezone

    from refuge.accounts.actions.members import do_create_member
    from refuge.accounts.models import Role, User
    from refuge.cases.actions.compartments import do_save_compartment
    from refuge.cases.actions.details import do_change_stage
    from refuge.cases.actions.expenses import do_add_expense
    from refuge.cases.actions.messages import do_message_requester
    from refuge.cases.actions.notes import do_add_note
    from refuge.cases.actions.opening import do_accept_request
    from refuge.cases.actions.people import do_add_person
    from refuge.cases.actions.tasks import do_add_task
    from refuge.cases.models import Person, Priority, Stage
    from refuge.crypto import unwrap_with_password
    from refuge.intake.access import access_by_receipt
    from refuge.intake.actions.messages import do_requester_message
    from refuge.intake.actions.submissions import do_submit_request
    from refuge.keyring.keyring import Keyring

    coordinator = User.objects.select_related("organisation").get(username="coord")
    organisation = coordinator.organisation
    keyring = Keyring(coordinator, unwrap_with_password(bytes(coordinator.private_key_password_wrap), password))
    colleague = do_create_member(
        actor=None, organisation=organisation, username="bella", role=Role.CASEWORKER, password=secrets.token_urlsafe()
    ).user
    answers = {"what_happened": NARRATIVE, "name": "Ахмед Дудаев", "phone": "+7 900 123 45 67", "urgency": "now"}
    submission = do_submit_request(organisation=organisation, answers=answers, urgency="now", language="ru")
    case = do_accept_request(
        actor=coordinator,
        keyring=keyring,
        request=submission.request,
        team=[coordinator, colleague],
        priority=Priority.EMERGENCY,
    )
    requester = Person.objects.select_related("case__key").get(case=case)
    today = timezone.localdate()
    identity = {
        "legal_name": "Ахмед Дудаев",
        "date_of_birth": "1994-03-02",
        "internal_passport_number": "9612 345678",
        "international_passport_number": "75 1234567",
        "international_passport_expiry": (today + datetime.timedelta(days=400)).isoformat(),
        "registered_address": "Грозный, ул. Мира, 1",
        "phone": "+7 900 123 45 67",
    }
    do_save_compartment(actor=coordinator, keyring=keyring, person=requester, kind="identity", data=identity, version=1)
    for role in ("partner", "family"):
        do_add_person(actor=coordinator, keyring=keyring, case=case, role=role, details="Travels with them.")
    for number in range(NOTES):
        body = f"Note {number}: called at the agreed time; safe for now; next call on Thursday. " * 3
        do_add_note(actor=coordinator, keyring=keyring, case=case, body=body)
    for number in range(TASKS):
        due = today + datetime.timedelta(days=number - 2)
        do_add_task(
            actor=coordinator, keyring=keyring, case=case, title=f"Task {number}: book the embassy appointment",
            due_on=due, owner=colleague,
        )  # fmt: skip
    for number in range(EXPENSES):
        do_add_expense(
            actor=coordinator, keyring=keyring, case=case, category="housing", amount_minor=10_000 + number * 55, currency="EUR",
            spent_on=today, note=f"Rent, week {number}",
        )  # fmt: skip
    access = access_by_receipt(submission.receipt)
    for number in range(MESSAGES):
        do_requester_message(request=access.request, secret=access.secret, body=f"Message {number}: are you there?")
        do_message_requester(
            actor=coordinator, keyring=keyring, case=case, body=f"Reply {number}: yes, we are working on it."
        )
    case.refresh_from_db()
    do_change_stage(actor=coordinator, keyring=keyring, case=case, stage=Stage.SHELTERED, version=case.version)
    return {"case": str(case.pk), "person": str(requester.pk), "reference": case.reference}


def encryption_is_off() -> bool:
    """Whether this process runs the benchmark build (the AEAD replaced), from the primitive itself."""
    from refuge.crypto import _aead

    return _aead.seal.__module__ != "refuge.crypto._aead"


def _database_version(connection: Any) -> str:
    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    data_dir = Path(os.environ["REFUGE_DATA_DIR"])
    password = secrets.token_urlsafe(24)
    totp_secret = create_organisation(data_dir, password)

    import django

    django.setup()
    ids = fill_case(password)
    from django.db import connection

    meta = {
        **ids,
        "password": password,
        "totp": totp_secret,
        "settings": os.environ["DJANGO_SETTINGS_MODULE"],
        "encryption_off": encryption_is_off(),
        "database": _database_version(connection),
    }
    args.output.write_text(json.dumps(meta))


if __name__ == "__main__":
    main()
