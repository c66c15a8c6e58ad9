"""Intake under a junk flood: real requesters still submit and check receipts, staff still find them.

    .venv/bin/python bench/run.py flood [--postgres]

DESIGN.md §7 and issue #16 (item 8): an attacker scripts the request form and the receipt
check at the highest rate one client can send. For each database, `refuge serve` (as
shipped) is started on a fresh installation and three phases run, each for SECONDS:

1. **Submission flood**: FLOOD_CLIENTS connections send "I am in danger right now" junk as
   fast as the server answers, while one real requester every PACE seconds sends a request
   and then checks it with the receipt the page showed.
2. **Receipt flood**: FLOOD_CLIENTS connections post random well-formed receipts to the
   check form as fast as the server answers, while one real requester every PACE seconds
   checks a receipt from phase 1.
3. **Finding the real requests, and triage**: where each real request stands in the intake
   inbox, in the order intake reads it, among everything the flood left there; whether the
   surge signal began (all requests, and "danger now" ones); then a coordinator clears the
   flood as the workspace offers it: group the open requests (`open_inbox_groups`, at most
   500 at once), decline every large group with one bulk decline each, again until no
   large group is left. Measured: the time it takes, what was declined, and where the real
   requests stand afterwards.

The junk is what a script sends: one story with slots filled at random (who, where, when,
a closing word), names and phones drawn from lists of their own. The real requesters write
stories of their own (REAL_STORIES, each with its own details), in ordinary urgency.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import _machine
from bench._databases import DatabaseTarget
from bench._results import BenchOptions, BenchResult, Check, Row, Table
from tests.support.load import (
    _CSRF,
    Connection,
    LoadReport,
    LoadRun,
    keep_cookies,
    requester_answers,
    submit_once,
)
from tests.support.server import create_organisation, refuge_env, run_refuge, running_server

ORGANISATION = "flood"
BENCH_PASSWORD = "flood-bench-pass-1"  # noqa: S105 (a throwaway installation's coordinator)
SECONDS = float(os.environ.get("REFUGE_BENCH_FLOOD_SECONDS", "20"))
FLOOD_CLIENTS = 64
PACE = 1.0
ASK = f"/r/{ORGANISATION}/ask/"
STATUS = "/r/status/"
RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# A scripted flood: one story, its slots filled at random, so no two requests are the same
# text (a filter on identical text would catch nothing) but all of them are near-copies.
JUNK_STORY = (
    "Help me please, {who} found out about me and {threat}. I am hiding at {place} in {city} "
    "but they know where I am. Police came {when} and asked my neighbours about me. I have no "
    "money and my phone is watched, I cannot stay here. I need a safe place {deadline}, please "
    "answer fast, I am in danger right now. {tail}"
)
JUNK_SLOTS = {
    "who": ["my brother", "my father", "my uncle", "my cousin", "the family", "my husband"],
    "threat": ["said they will kill me", "want to take me home", "told the police", "beat me"],
    "place": ["a friend's flat", "the railway station", "a hostel", "my work"],
    "city": ["Grozny", "Kazan", "Makhachkala", "Nalchik", "Moscow", "Ufa"],
    "when": ["yesterday", "this morning", "last night", "twice"],
    "deadline": ["tonight", "today", "before Friday", "now"],
    "tail": ["", "Please.", "God help me.", "Write soon", "I wait"],
}
JUNK_NAMES = ["Ivan Petrov", "Sergei Smirnov", "Alexei Popov", "Dmitry Volkov", "Pavel Sokolov", "Oleg Lebedev"]
# Real requesters: each writes their own story.
REAL_STORIES = [
    "My brother told our father about me and he said the family will deal with it after the wedding in {month}.",
    "I was detained at a checkpoint near {city}, they copied my phone contacts and let me go after {days} days.",
    "Мой партнёр пропал {days} дня назад, его телефон выключен, в отделе полиции говорят, что не знают о нём.",
    "A man I met online turned out to be a policeman; I got away but he has my photos and address in {city}.",
    "My employer found my messages and called the imam; I lost the job and my landlord wants me out by {month}.",
    "Соседи написали заявление, участковый приходил {days} раза и спрашивал, с кем я живу. Мама плачет.",
    "I am a trans woman in {city}; my passport still has the old name and every document check is dangerous.",
    "We are two, together for {days} years. His cousin saw us and now the whole street knows. We need to leave.",
    "I left home in {month} and live with a friend; my uncle sends people to her university to ask about me.",
    "Меня отчислили из колледжа после доноса, отец забрал паспорт. Сейчас я у тёти в {city}, она боится.",
    "I answered a dating profile and three men were waiting; they filmed me and demand money every week.",
    "My wife knows and is kind, but her brothers do not. They talk about an 'honour' matter since {month}.",
]
REAL_DETAILS = {
    "month": ["March", "April", "May", "June", "July", "August"],
    "city": ["Vladikavkaz", "Nazran", "Derbent", "Khasavyurt", "Pyatigorsk", "Cherkessk"],
    "days": ["2", "3", "4", "5", "6", "7"],
}


def junk_answers(rng: random.Random, serial: str) -> tuple[dict[str, Any], str]:
    """What a flooding script sends: the same story with its slots filled at random."""
    slots = {slot: rng.choice(words) for slot, words in JUNK_SLOTS.items()}
    phone = f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    answers = {
        "what_happened": JUNK_STORY.format(**slots),
        "where_now": slots["city"],
        "name": rng.choice(JUNK_NAMES),
        "phone": phone,
        "languages": ["ru"],
    }
    return answers, "now"


def real_answers(rng: random.Random, serial: str) -> tuple[dict[str, Any], str]:
    """A real requester's answers: a story of their own (the flood's near-copies do not resemble it)."""
    answers, _urgency = requester_answers(rng, serial)
    story = rng.choice(REAL_STORIES).format(**{slot: rng.choice(words) for slot, words in REAL_DETAILS.items()})
    answers["what_happened"] = f"{story} ({serial})"
    return answers, "weeks"


TARGET = (
    "Under a junk flood at the highest rate one client can send, real requesters still submit and "
    "check receipts, and intake can find the real requests (issue #16, item 8)."
)


@dataclass
class Trickle:
    """What the real requesters saw: one entry per attempt."""

    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    receipts: list[str] = field(default_factory=list)

    @property
    def attempts(self) -> int:
        return len(self.seconds) + len(self.failures)


async def check_receipt(port: int, receipt: str) -> tuple[bool, str]:
    """A requester types the receipt into the check form: True when the request opens (302)."""
    run = LoadRun("127.0.0.1", port, STATUS, LoadReport(clients=1, seconds=0), 0)
    connection = Connection("127.0.0.1", port)
    try:
        cookies: dict[str, str] = {}
        form = await connection.send(run.request("GET", cookies))
        keep_cookies(cookies, form)
        csrf = _CSRF.search(form.body)
        if form.status != 200 or csrf is None:
            return False, f"GET {STATUS} answered {form.status}"
        body = f"csrfmiddlewaretoken={csrf.group(1).decode()}&receipt={receipt}".encode()
        reply = await connection.send(run.request("POST", cookies, body, "application/x-www-form-urlencoded"))
        return reply.status == 302, f"POST {STATUS} answered {reply.status}"
    finally:
        connection.close()


def random_receipt(rng: random.Random) -> str:
    letters = "".join(rng.choice(RECEIPT_ALPHABET) for _ in range(20))
    return "-".join(letters[i : i + 4] for i in range(0, 20, 4))


async def junk_submitter(run: LoadRun, number: int, stop: float) -> None:
    rng = random.Random(f"junk-{number}")
    serial = 0
    while time.monotonic() < stop:
        serial += 1
        connection = Connection(run.host, run.port)
        try:
            sent = submit_once(run, connection, rng, f"junk-{number}-{serial}", urgency="now", answers_of=junk_answers)
            await asyncio.wait_for(sent, 30)
        except (TimeoutError, OSError, ValueError):
            run.error("junk failed", f"{number}")
        finally:
            connection.close()


async def receipt_guesser(port: int, number: int, stop: float, outcomes: dict[str, int]) -> None:
    rng = random.Random(f"guess-{number}")
    while time.monotonic() < stop:
        try:
            _, what = await asyncio.wait_for(check_receipt(port, random_receipt(rng)), 30)
        except (TimeoutError, OSError, ValueError):
            what = "timed out or failed"
        outcomes[what] = outcomes.get(what, 0) + 1


async def real_submitter(port: int, stop: float, trickle: Trickle) -> None:
    run = LoadRun("127.0.0.1", port, ASK, LoadReport(clients=1, seconds=0), 0)
    rng = random.Random("real")
    serial = 0
    while time.monotonic() < stop:
        serial += 1
        began = time.monotonic()
        connection = Connection("127.0.0.1", port)
        try:
            submitted = submit_once(run, connection, rng, f"real-{serial}", urgency="weeks", answers_of=real_answers)
            sent = await asyncio.wait_for(submitted, 60)
        except (TimeoutError, OSError, ValueError) as error:
            sent = False
            run.error(type(error).__name__, "")
        finally:
            connection.close()
        if sent:
            receipt = run.report.sent[-1].receipt
            opened, what = await check_receipt(port, receipt)
            if opened:
                trickle.seconds.append(time.monotonic() - began)
                trickle.receipts.append(receipt)
            else:
                trickle.failures.append(f"submitted, but the receipt check: {what}")
        else:
            trickle.failures.append("; ".join(run.report.errors) or "not acknowledged")
            run.report.errors.clear()
        await asyncio.sleep(max(0.0, PACE - (time.monotonic() - began)))


async def real_checker(port: int, receipts: list[str], stop: float, trickle: Trickle) -> None:
    index = 0
    while time.monotonic() < stop and receipts:
        began = time.monotonic()
        opened, what = await check_receipt(port, receipts[index % len(receipts)])
        index += 1
        if opened:
            trickle.seconds.append(time.monotonic() - began)
        else:
            trickle.failures.append(what)
        await asyncio.sleep(max(0.0, PACE - (time.monotonic() - began)))


async def submission_phase(port: int) -> tuple[LoadReport, Trickle]:
    stop = time.monotonic() + SECONDS
    junk = LoadRun("127.0.0.1", port, ASK, LoadReport(clients=FLOOD_CLIENTS, seconds=SECONDS), 0)
    trickle = Trickle()
    await asyncio.gather(
        real_submitter(port, stop, trickle), *(junk_submitter(junk, n, stop) for n in range(FLOOD_CLIENTS))
    )
    return junk.report, trickle


async def receipt_phase(port: int, receipts: list[str]) -> tuple[dict[str, int], Trickle]:
    stop = time.monotonic() + SECONDS
    outcomes: dict[str, int] = {}
    trickle = Trickle()
    await asyncio.gather(
        real_checker(port, receipts, stop, trickle),
        *(receipt_guesser(port, n, stop, outcomes) for n in range(FLOOD_CLIENTS)),
    )
    return outcomes, trickle


def inbox_ranks(data_dir: Path, receipts: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Where the real requests stand in the intake inbox (a child with the server's settings)."""
    path = data_dir / "real-receipts.json"
    path.write_text(json.dumps(receipts))
    child = subprocess.run(
        [sys.executable, "-m", "bench._flood_child", ORGANISATION, str(path), "coord", BENCH_PASSWORD],
        env={**refuge_env(data_dir, **env), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(child.stdout.strip().splitlines()[-1])


def _ms(seconds: list[float]) -> str:
    if not seconds:
        return "none"
    ms = sorted(s * 1000 for s in seconds)
    return f"median {statistics.median(ms):.0f} ms, slowest {ms[-1]:.0f} ms"


def measure(target: DatabaseTarget) -> tuple[Table, list[Check], list[str]]:
    url = target.fresh_url()
    env = {"DATABASE_URL": url} if url else {}
    with tempfile.TemporaryDirectory(prefix="refuge-flood-") as folder:
        data_dir = Path(folder) / "var"
        run_refuge(data_dir, "init", **env)
        create_organisation(data_dir, slug=ORGANISATION, coordinator="coord", password=BENCH_PASSWORD, **env)
        with running_server(data_dir, workers=2, **env) as server:
            junk, submitted = asyncio.run(submission_phase(server.port))
            guesses, checked = asyncio.run(receipt_phase(server.port, submitted.receipts))
        ranks = inbox_ranks(data_dir, submitted.receipts, env)
    label = target.label
    accepted = len(junk.sent)
    refused = sum(junk.errors.values())
    rows = [
        Row.reading("junk requests accepted (phase 1)", accepted, "requests"),
        Row.reading("junk requests refused (phase 1)", refused, "requests"),
        Row.reading("real requests sent and opened with their receipt", len(submitted.seconds), "requests"),
        Row.reading("real requests that failed", len(submitted.failures), "requests"),
        Row.reading("random receipts tried (phase 2)", sum(guesses.values()), "checks"),
        Row.reading("real receipt checks that opened the request", len(checked.seconds), "checks"),
        Row.reading("real receipt checks refused", len(checked.failures), "checks"),
        Row.reading("requests in the inbox afterwards", ranks["inbox"], "requests"),
        Row.reading("best place of a real request in the inbox order", ranks["best"], ""),
        Row.reading("worst place of a real request in the inbox order", ranks["worst"], ""),
        Row.reading("triage: rounds of grouping and bulk-declining", ranks["rounds"], "rounds"),
        Row.reading("triage: requests declined in large groups", ranks["declined"], "requests"),
        Row.reading("triage: real requests among the declined", ranks["real_declined"], "requests"),
        Row.reading("triage: seconds to decline every large group", ranks["triage_seconds"], "s"),
        Row.reading("triage: seconds of it in bulk declines", ranks["decline_seconds"], "s"),
        Row.reading("requests in the inbox after triage", ranks["inbox_after"], "requests"),
        Row.reading("worst place of a real request after triage", ranks["worst_after"], ""),
    ]
    notes = [
        f"Surge signal after the flood (all requests / danger now): {ranks['surge']}.",
        f"Real requesters, phase 1 (send, then check the receipt): {_ms(submitted.seconds)}.",
        f"Real receipt checks, phase 2: {_ms(checked.seconds)}.",
        "Random receipts, phase 2, answered: " + ", ".join(f"{n} × {what}" for what, n in sorted(guesses.items())),
    ]
    notes += [f"real request failure: {failure}" for failure in sorted(set(submitted.failures))[:5]]
    notes += [f"real receipt check failure: {failure}" for failure in sorted(set(checked.failures))[:5]]
    checks = [
        Check(
            f"{label}: every real requester submits and opens the request under the flood",
            f"{len(submitted.seconds)} of {submitted.attempts}",
            submitted.attempts > 0 and not submitted.failures,
        ),
        Check(
            f"{label}: every real receipt check opens the request under a receipt flood",
            f"{len(checked.seconds)} of {checked.attempts}",
            checked.attempts > 0 and not checked.failures,
        ),
        Check(
            f"{label}: the real requests are on the inbox's first page (50)",
            f"places {ranks['best']}–{ranks['worst']} of {ranks['inbox']}",
            ranks["worst"] <= 50,
        ),
        Check(
            f"{label}: the surge signal began for the flood of 'danger now' requests",
            ranks["surge"],
            ranks["surge"].endswith("yes"),
        ),
        Check(
            f"{label}: after bulk-declining the large groups, every real request is open, on the first page",
            f"{ranks['real_open_after']} of {ranks['real']} open, worst place {ranks['worst_after']}",
            ranks["real_open_after"] == ranks["real"] and ranks["worst_after"] <= 50,
        ),
    ]
    table = Table(f"{label}: {FLOOD_CLIENTS} flooding connections, {SECONDS:.0f} s per phase", rows)
    return table, checks, notes


def run(options: BenchOptions) -> BenchResult:
    started = time.monotonic()
    result = BenchResult(
        "flood",
        "Intake under a junk flood",
        TARGET,
        options.command,
        environment=_machine.one_line(),
        date=_machine.now(),
    )
    for target in options.databases:
        table, checks, notes = measure(target)
        result.tables.append(table)
        result.checks += checks
        result.notes += notes
    result.seconds = time.monotonic() - started
    return result
