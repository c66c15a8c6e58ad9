"""Issue #13: "the response time of duress, normal and wrong-password logins is indistinguishable within noise".

A coercer who watches a member log in, or a stranger who probes the login form, must not
learn from the time of the answer whether the password typed was the real one, the duress
one or a wrong one, nor whether the account has a duress password at all. For each
database, a child process (bench/_login_timing_child.py) with production settings (Argon2id
at t=3, 64 MiB) creates the accounts with the `refuge` command, gives one of them a duress
password, and times POST /login/ over HTTP against `refuge serve` (one worker), the four
kinds of login interleaved: one of each per round, in a shuffled order, so that whatever
else the machine does falls on every kind alike.

How to read "telling them apart": the difference of the medians, and the chance that a
login of this kind takes longer than a normal one (the area under the ROC curve of an
observer who guesses from the time alone: 50 % is a coin toss). The same two numbers for the
normal logins of odd rounds against those of even rounds are the noise: what an observer
"sees" between two sets of identical logins.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench import _machine
from bench._child import run_child
from bench._results import BenchOptions, BenchResult, Check, Row, Table

NAME = "login_timing"
TITLE = "Duress, normal and wrong-password logins: the same time"
TARGET = (
    "Issue #13: the response time of duress, normal and wrong-password logins is indistinguishable within noise "
    "(measured over many logins)."
)
ROUNDS = 60
# A kind's median within this share of the normal login's median...
MEDIAN_TOLERANCE = 0.05
# ...and an observer guessing from one login's time right at most this often (50 % is a coin toss).
MAX_GUESS = 0.65
KINDS = {
    "normal": "normal login (right password and code)",
    "duress": "duress password (opens the empty workspace, locks the account)",
    "wrong": "wrong password, account with a duress password",
    "wrong_without_duress": "wrong password, account without a duress password",
}


def run(options: BenchOptions) -> BenchResult:
    rounds = options.iterations or ROUNDS
    result = BenchResult(NAME, TITLE, TARGET, options.command, environment=_machine.one_line(), date=_machine.now())
    started = time.monotonic()
    for target in options.databases:
        data = _measure(target.fresh_url(), rounds)
        tables, checks = report(target.label, data["samples"], rounds)
        tables[0].notes.append(f"Database: {data['database']}, {target.detail}.")
        result.tables += tables
        result.checks += checks
    if len(options.databases) == 1:
        result.notes.append(
            "SQLite only: add `--postgres` (a throwaway cluster, as in `make test-pg`) or set "
            "REFUGE_BENCH_DATABASE_URL to measure PostgreSQL too."
        )
    result.notes += [
        "Timed: the POST of the login form until its answer (302 to the workspace, or 400 with the form again), "
        "each by a fresh client that first loaded the form (untimed), as a browser does.",
        "Between logins (untimed), the benchmark undoes what the last one left behind: the failure count, the "
        "duress lock and the TOTP replay guard (a benchmark-only shortcut), so that every sample takes its kind's "
        "path. Mail is not configured: a duress login then owes no notice row (with mail, one more row in the "
        "same transaction).",
        f"Pass/miss: each kind's median within {MEDIAN_TOLERANCE:.0%} of the normal login's, and an observer "
        f"guessing from the time right at most {MAX_GUESS:.0%} of the time.",
        "Client and server share the same 2 cores; the client is a small http.client loop.",
    ]
    result.seconds = time.monotonic() - started
    return result


def _measure(database_url: str | None, rounds: int) -> dict[str, Any]:
    """Run the child in a fresh data directory; return what it measured."""
    return run_child("login timing", "bench._login_timing_child", ["--rounds", str(rounds)], database_url, timeout=3600)


def slower_share(these: list[float], others: list[float]) -> float:
    """The chance that one of `these` takes longer than one of `others` (ties count half): the AUC."""
    wins = 0.0
    for this in these:
        for other in others:
            wins += 1.0 if this > other else 0.5 if this == other else 0.0
    return wins / (len(these) * len(others))


def report(label: str, samples: dict[str, list[float]], rounds: int) -> tuple[list[Table], list[Check]]:
    normal = Row.timings(KINDS["normal"], samples["normal"])
    rows = [normal] + [Row.timings(KINDS[kind], samples[kind], baseline=normal) for kind in KINDS if kind != "normal"]
    timings = Table(
        f"{label}: POST /login/ over HTTP, `refuge serve` with 1 worker, {rounds} rounds of one login of each kind "
        "(shuffled), after 2 warm-up rounds",
        rows,
    )
    odd, even = samples["normal"][0::2], samples["normal"][1::2]
    apart = [
        Row.reading(
            "noise: normal logins of odd rounds against even rounds, difference of medians", _ms(odd, even), "ms"
        ),
        Row.reading("noise: chance an odd round's normal login is the slower", 100 * slower_share(odd, even), "%"),
    ]
    checks = []
    for kind in KINDS:
        if kind == "normal":
            continue
        difference = _ms(samples[kind], samples["normal"])
        guess = slower_share(samples[kind], samples["normal"])
        apart += [
            Row.reading(f"{kind} − normal: difference of medians", difference, "ms"),
            Row.reading(f"{kind}: chance it is slower than a normal login", 100 * guess, "%"),
        ]
        share = abs(difference) / (1000 * statistics.median(samples["normal"]))
        # An observer may guess either way: 30 % "slower" tells as much as 70 %.
        right = max(guess, 1 - guess)
        checks.append(
            Check(
                f"{label}: {KINDS[kind]} — median within {MEDIAN_TOLERANCE:.0%} of normal, "
                f"told apart at most {MAX_GUESS:.0%} of the time",
                f"{difference:+.1f} ms ({share:.1%}), told apart {right:.0%}",
                share <= MEDIAN_TOLERANCE and right <= MAX_GUESS,
            )
        )
    telling = Table(f"{label}: telling them apart from the time alone", apart)
    telling.notes.append(
        "Difference of medians: this kind's median minus the normal login's. Chance: how often a login of this kind "
        "took longer than a normal one over every pair of samples (50 % cannot be told apart; 100 % or 0 % always)."
    )
    return [timings, telling], checks


def _ms(these: list[float], others: list[float]) -> float:
    return 1000 * (statistics.median(these) - statistics.median(others))
