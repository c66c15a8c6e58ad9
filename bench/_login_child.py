"""The measuring half of bench/login.py, run in its own process with production settings.

`python -m bench._login_child --iterations N --output FILE`, started by bench/login.py
with REFUGE_DATA_DIR (a fresh directory), DJANGO_SETTINGS_MODULE=refuge.settings and,
for PostgreSQL, DATABASE_URL. It creates the accounts with the `refuge` command,
times logins in this process and over HTTP against `refuge serve`, and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench._results import Row, Table
from tests.support.http import LoopbackClient
from tests.support.server import run_refuge, running_server

ORGANISATION = "bench"
# A fresh password per run for the throwaway accounts (Argon2id cost does not depend on it).
PASSWORD = secrets.token_urlsafe(24)
# Threads per gunicorn worker, as `refuge serve` defaults to (REFUGE_THREADS): also
# how many logins the concurrent phase runs at once against the one worker.
THREADS = 4
WARM_UP = 2
MIB = 1024 * 1024


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Account:
    username: str
    totp_secret: str


def database_env() -> dict[str, str]:
    """DATABASE_URL for the `refuge` processes, passed on explicitly (unset: SQLite in the data directory)."""
    url = os.environ.get("DATABASE_URL")
    return {"DATABASE_URL": url} if url else {}


def create_accounts(data_dir: Path) -> list[Account]:
    """`refuge init`, `createorg` (a coordinator) and `createuser` caseworkers: THREADS accounts."""
    run_refuge(data_dir, "init", **database_env())
    password_file = data_dir / "bench-password"
    password_file.write_text(PASSWORD + "\n")
    created = run_refuge(
        data_dir, "createorg", "--name", "Bench", "--slug", ORGANISATION, "--coordinator", "coord",
        "--password-file", str(password_file), **database_env(),
    )  # fmt: skip
    accounts = [Account("coord", _totp_secret(created.stdout))]
    for number in range(1, THREADS):
        username = f"caseworker{number}"
        created = run_refuge(
            data_dir, "createuser", "--org", ORGANISATION, "--username", username, "--role", "caseworker",
            "--password-file", str(password_file), **database_env(),
        )  # fmt: skip
        accounts.append(Account(username, _totp_secret(created.stdout)))
    password_file.unlink()
    return accounts


def _totp_secret(output: str) -> str:
    match = re.search(r"TOTP secret:\s+(\S+)", output)
    if match is None:
        raise BenchError(f"no TOTP secret in the output of the refuge command:\n{output}")
    return match.group(1)


def allow_code_again(*usernames: str) -> None:
    """Forget the last TOTP step used, so the current code logs in again.

    Benchmark harness only: replay protection (User.totp_last_step) lets each time
    step log in once, and these loops log in many times within one 30 s step.
    """
    from refuge.accounts.models import User

    User.objects.filter(organisation__slug=ORGANISATION, username__in=usernames).update(totp_last_step=0)


def sample(times: int, prepare: Callable[[], Any], measure: Callable[[Any], None]) -> list[float]:
    """Wall-clock seconds of `measure(prepare())`, WARM_UP uncounted runs first."""
    seconds = []
    for index in range(WARM_UP + times):
        argument = prepare()
        start = time.perf_counter()
        measure(argument)
        if index >= WARM_UP:
            seconds.append(time.perf_counter() - start)
    return seconds


def in_process(account: Account, iterations: int) -> Table:
    """check_login at production KDF, its pieces, and Django's stock check_password."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password, make_password

    from refuge.accounts import totp
    from refuge.accounts.kdf import kdf_params
    from refuge.accounts.login import check_login
    from refuge.accounts.models import User
    from refuge.crypto import PRODUCTION_KDF, open_sealed, unwrap_with_password

    if kdf_params() != PRODUCTION_KDF:
        raise BenchError(f"settings give KDF {kdf_params()}, not production {PRODUCTION_KDF}")
    user = User.objects.get(organisation__slug=ORGANISATION, username=account.username)
    wrap, sealed = bytes(user.private_key_password_wrap), bytes(user.totp_secret_sealed)
    private = unwrap_with_password(wrap, PASSWORD)

    def fresh_code() -> str:
        allow_code_again(account.username)
        return totp.code_at(account.totp_secret)

    def login(code: str) -> None:
        result = check_login(organisation_slug=ORGANISATION, username=account.username, password=PASSWORD, code=code)
        if result.private_key is None:
            raise BenchError("the benchmark login was taken for a duress login")

    def open_and_check(code: str) -> None:
        if totp.matching_step(open_sealed(private, sealed).decode(), code) is None:
            raise BenchError("the TOTP code did not match")

    def verify(encoded: str) -> None:
        if not check_password(PASSWORD, encoded):
            raise BenchError("check_password refused the right password")

    # Django's default hasher (PBKDF2-SHA256): what a stock Django login spends.
    stock = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())

    def code_now() -> str:
        return totp.code_at(account.totp_secret)

    baseline = Row.timings(
        "Django stock `check_password` (PBKDF2, baseline)", sample(iterations, lambda: stock, verify)
    )
    full = Row.timings("`check_login` (whole login)", sample(iterations, fresh_code, login), baseline=baseline)
    unwrap = sample(iterations, lambda: wrap, lambda blob: unwrap_with_password(blob, PASSWORD))
    unwrap_row = Row.timings("├ Argon2id unwrap of the private key (libsodium)", unwrap, baseline=baseline)
    opened = Row.timings("├ open sealed TOTP secret + check code", sample(iterations, code_now, open_and_check))
    rest = full.median - unwrap_row.median - opened.median
    stock_params = PBKDF2PasswordHasher
    notes = [
        f"Key wrap KDF: Argon2id t={PRODUCTION_KDF.opslimit}, {PRODUCTION_KDF.memlimit // MIB} MiB (production).",
        f"Baseline: Django {_django_version()}'s default `PBKDF2PasswordHasher` ({stock_params.iterations:,} "
        "iterations of SHA-256): what an ordinary Django login spends checking the password. Refuge stores no "
        "password hash: the Argon2id unwrap of the private key is the password check.",
        f"└ the rest of `check_login` (account lookup, replay-protected code update, counters, audit entry, "
        f"group-key check): about {rest:.1f} ms (median of the whole minus the medians of the two pieces).",
        "Each login is by the coordinator (the longest path: it also checks for colleagues awaiting the intake key).",
    ]
    table = Table(f"In process, {iterations} logins after {WARM_UP} warm-up", [full, unwrap_row, opened], notes)
    table.rows += [baseline]
    return table


def refused_logins(accounts: list[Account], iterations: int, successful: Row) -> Table:
    """What a login that does not open the workspace costs: the answer must not tell them apart."""
    from refuge.accounts import totp
    from refuge.accounts.actions.credentials import do_set_duress_password
    from refuge.accounts.login import check_login
    from refuge.accounts.models import User
    from refuge.core.errors import UserError

    plain, with_duress = accounts[1], accounts[2]
    duress_password = secrets.token_urlsafe(24)
    actor = User.objects.get(organisation__slug=ORGANISATION, username=with_duress.username)
    do_set_duress_password(actor=actor, current_password=PASSWORD, duress_password=duress_password)

    secrets_by_name = {account.username: account.totp_secret for account in accounts}

    def prepare(username: str) -> tuple[str, str]:
        # Benchmark harness only: undo the failure count, lockout and duress lock each
        # attempt leaves behind, so that every sample takes the same path.
        User.objects.filter(organisation__slug=ORGANISATION, username=username).update(
            failed_logins=0, locked_until=None, locked_by_duress=False, totp_last_step=0
        )
        return username, totp.code_at(secrets_by_name.get(username, totp.new_secret()))

    def attempt(password: str, *, duress: bool = False) -> Callable[[tuple[str, str]], None]:
        def measure(username_and_code: tuple[str, str]) -> None:
            username, code = username_and_code
            try:
                result = check_login(organisation_slug=ORGANISATION, username=username, password=password, code=code)
            except UserError:
                if duress:
                    raise BenchError("the duress password was refused") from None
                return
            if not (duress and result.duress):
                raise BenchError(f"{username} logged in with a password that should be refused")

        return measure

    wrong = "not-" + PASSWORD
    rows = [
        ("unknown account (a dummy unwrap is spent)", "nobody", attempt(PASSWORD)),
        ("wrong password, account without a duress password", plain.username, attempt(wrong)),
        ("wrong password, account with a duress password", with_duress.username, attempt(wrong)),
        (
            "duress password (locks the account, opens nothing)",
            with_duress.username,
            attempt(duress_password, duress=True),
        ),
    ]
    table = Table(f"In process, refused and duress logins, {iterations} each after {WARM_UP} warm-up", [])
    for name, username, measure in rows:
        table.rows.append(
            Row.timings(name, sample(iterations, lambda u=username: prepare(u), measure), baseline=successful)
        )
    for account in accounts:
        prepare(account.username)  # leave every account able to log in for the HTTP phase
    table.notes.append("Ratio against the successful `check_login` above.")
    without, with_ = table.rows[1].median, table.rows[2].median
    if with_ > 1.5 * without:
        table.notes.append(
            f"A wrong password takes {with_ / without:.1f}× as long when the account has a duress password: "
            "the time of a refused login tells whether the account has one."
        )
    return table


def _django_version() -> str:
    import django

    return django.get_version()


def http_login(port: int, account: Account) -> tuple[float, float]:
    """A new browser: GET /login/, POST the form; seconds for each. Fails unless it logs in."""
    from refuge.accounts import totp

    client = LoopbackClient("127.0.0.1", port)
    code = totp.code_at(account.totp_secret)
    start = time.perf_counter()
    page = client.get("/login/")
    got = time.perf_counter()
    fields = {"organisation": ORGANISATION, "username": account.username, "password": PASSWORD, "code": code}
    response = client.request("POST", "/login/", {"csrfmiddlewaretoken": page.csrf_token(), **fields})
    posted = time.perf_counter()
    if response.status != 302 or response.headers.get("location") != "/":
        error = re.search(r"The organisation, username[^<]*", response.text)
        reason = error.group(0) if error else response.text[:300]
        raise BenchError(f"HTTP login of {account.username} gave {response.status}: {reason}")
    return got - start, posted - got


def worker_pids(master: int) -> list[int]:
    """The gunicorn workers: the processes whose parent is the master."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (2nd field) is in parentheses and may hold spaces.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # The scheduler process (`refuge scheduler`, refuge/scheduler/loop.py) is a child of the master too.
        if int(fields[1]) == master and not _is_scheduler(stat.parent / "cmdline"):
            pids.append(int(stat.parent.name))
    return sorted(pids)


def _is_scheduler(cmdline: Path) -> bool:
    try:
        return b"scheduler" in cmdline.read_bytes().split(b"\0")
    except OSError:
        return False


def memory_mib(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            values[name] = int(rest.split()[0]) / 1024  # the kernel writes kB (KiB)
    return values


def http(data_dir: Path, accounts: list[Account], iterations: int) -> dict[str, Any]:
    """Sequential then concurrent logins against one `refuge serve` worker, and its memory."""
    extra = {"REFUGE_THREADS": str(THREADS), **database_env()}
    coordinator = accounts[0]
    with running_server(data_dir, workers=1, **extra) as server:
        # The first request waits for the worker to load the app; no login has happened yet.
        start = time.perf_counter()
        LoopbackClient("127.0.0.1", server.port).get("/login/")
        first_page = time.perf_counter() - start
        workers = worker_pids(server.process.pid)
        if len(workers) != 1:
            raise BenchError(f"expected one gunicorn worker, found {workers}")
        worker = workers[0]
        idle = memory_mib(worker)
        allow_code_again(coordinator.username)
        cold = sum(http_login(server.port, coordinator))
        gets, posts = [], []
        for index in range(WARM_UP + iterations):
            allow_code_again(coordinator.username)
            get, post = http_login(server.port, coordinator)
            if index >= WARM_UP:
                gets.append(get)
                posts.append(post)
        sequential = memory_mib(worker)
        together = concurrent_logins(server.port, accounts, max(3, iterations // THREADS))
        concurrent = memory_mib(worker)
        master = memory_mib(server.process.pid)
        if worker_pids(server.process.pid) != [worker]:
            raise BenchError("the gunicorn worker was replaced during the benchmark")
    return {
        "first_page": first_page,
        "cold": cold,
        "gets": gets,
        "posts": posts,
        "rounds": together,
        "memory": {"idle": idle, "sequential": sequential, "concurrent": concurrent, "master": master},
    }


def concurrent_logins(port: int, accounts: list[Account], rounds: int) -> list[float]:
    """`rounds` times, every account logs in at the same moment (one warm-up round first)."""
    barrier = threading.Barrier(len(accounts))

    def one(account: Account) -> float:
        barrier.wait()
        return sum(http_login(port, account))

    seconds: list[float] = []
    with ThreadPoolExecutor(len(accounts)) as pool:
        for index in range(1 + rounds):
            allow_code_again(*(account.username for account in accounts))
            results = list(pool.map(one, accounts))
            if index > 0:
                seconds += results
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    data_dir = Path(os.environ["REFUGE_DATA_DIR"])
    accounts = create_accounts(data_dir)

    import django

    django.setup()
    logins = in_process(accounts[0], args.iterations)
    refused = refused_logins(accounts, args.iterations, logins.rows[0])
    measured = http(data_dir, accounts, args.iterations)
    tables = [asdict(logins), asdict(refused)]
    args.output.write_text(json.dumps({"in_process": tables, "http": measured, "database": _database_version()}))


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT 'SQLite ' || sqlite_version()")
        else:
            cursor.execute("SELECT 'PostgreSQL ' || current_setting('server_version')")
        return str(cursor.fetchone()[0])


if __name__ == "__main__":
    main()
