"""The measuring half of bench/login_timing.py, run in its own process with production settings.

`python -m bench._login_timing_child --rounds N --output FILE`, started by bench/login_timing.py
with REFUGE_DATA_DIR (a fresh directory), DJANGO_SETTINGS_MODULE=refuge.settings and, for
PostgreSQL, DATABASE_URL. It creates the accounts with the `refuge` command, gives one of them
a duress password, and times POST /login/ against `refuge serve` for each kind of login, one
of each kind per round in a shuffled order, and writes the seconds as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from bench._login_child import ORGANISATION, PASSWORD, Account, BenchError, create_accounts, database_env
from tests.support.http import LoopbackClient
from tests.support.server import running_server

WARM_UP_ROUNDS = 2
# The shuffle of each round is the same from run to run (and so is which kind goes first).
SEED = 13
DURESS_PASSWORD = secrets.token_urlsafe(24)
WRONG_PASSWORD = "not-" + PASSWORD
# What each kind of login must answer: a slower refusal that answered otherwise would not count.
KINDS = {
    "normal": (302, "/"),
    "duress": (302, "/"),
    "wrong": (400, None),
    "wrong_without_duress": (400, None),
}


def reset(*usernames: str) -> None:
    """Benchmark harness only (untimed): undo what the last login left, so every sample takes its kind's path.

    The failure count and its lockout, the duress lock, and the TOTP replay guard (each 30 s step
    logs in once; these loops log in many times within one step)."""
    from refuge.accounts.models import User

    User.objects.filter(organisation__slug=ORGANISATION, username__in=usernames).update(
        failed_logins=0, locked_until=None, locked_by_duress=False, totp_last_step=0
    )


def set_duress_password(account: Account) -> None:
    from refuge.accounts.actions.credentials import do_set_duress_password
    from refuge.accounts.models import User

    user = User.objects.get(organisation__slug=ORGANISATION, username=account.username)
    do_set_duress_password(actor=user, current_password=PASSWORD, duress_password=DURESS_PASSWORD)


def attempts(with_duress: Account, without_duress: Account) -> dict[str, Callable[[], tuple[str, str, str]]]:
    """Each kind of login: (username, password, TOTP code) as a fresh browser would send them."""
    from refuge.accounts import totp

    def code(account: Account) -> str:
        return totp.code_at(account.totp_secret)

    return {
        "normal": lambda: (with_duress.username, PASSWORD, code(with_duress)),
        "duress": lambda: (with_duress.username, DURESS_PASSWORD, code(with_duress)),
        "wrong": lambda: (with_duress.username, WRONG_PASSWORD, code(with_duress)),
        "wrong_without_duress": lambda: (without_duress.username, WRONG_PASSWORD, code(without_duress)),
    }


def post_login(port: int, kind: str, username: str, password: str, code: str) -> float:
    """GET /login/ (untimed, as the person opens the page), then POST it: the seconds until the answer."""
    client = LoopbackClient("127.0.0.1", port)
    token = client.get("/login/").csrf_token()
    fields = {"organisation": ORGANISATION, "username": username, "password": password, "code": code}
    start = time.perf_counter()
    response = client.request("POST", "/login/", {"csrfmiddlewaretoken": token, **fields})
    seconds = time.perf_counter() - start
    status, location = KINDS[kind]
    if response.status != status or (location is not None and response.headers.get("location") != location):
        error = re.search(r"The organisation, username[^<]*", response.text)
        raise BenchError(f"a {kind} login answered {response.status}: {error.group(0) if error else ''}")
    return seconds


def measure(port: int, accounts: list[Account], rounds: int) -> dict[str, list[float]]:
    """`rounds` rounds after WARM_UP_ROUNDS, each one login of every kind in a shuffled order."""
    with_duress, without_duress = accounts[1], accounts[2]
    kinds = attempts(with_duress, without_duress)
    order = random.Random(SEED)
    samples: dict[str, list[float]] = {kind: [] for kind in kinds}
    for number in range(WARM_UP_ROUNDS + rounds):
        names = list(kinds)
        order.shuffle(names)
        for kind in names:
            reset(with_duress.username, without_duress.username)
            seconds = post_login(port, kind, *kinds[kind]())
            if number >= WARM_UP_ROUNDS:
                samples[kind].append(seconds)
    reset(with_duress.username, without_duress.username)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    data_dir = Path(os.environ["REFUGE_DATA_DIR"])
    accounts = create_accounts(data_dir)

    import django

    django.setup()
    from bench._login_child import _database_version
    from refuge.accounts.kdf import kdf_params
    from refuge.crypto import PRODUCTION_KDF

    if kdf_params() != PRODUCTION_KDF:
        raise BenchError(f"settings give KDF {kdf_params()}, not production {PRODUCTION_KDF}")
    set_duress_password(accounts[1])
    with running_server(data_dir, workers=1, **database_env()) as server:
        samples = measure(server.port, accounts, args.rounds)
    args.output.write_text(json.dumps({"samples": samples, "database": _database_version()}))


if __name__ == "__main__":
    main()
