"""The crash suite: no acknowledged write is lost on kill -9 (DESIGN.md §4 "Nothing lost", §7 Durability).

The harness is tests/support/crash.py (docs/development.md, "Crash suite"): the real
server, and on PostgreSQL the real database server, killed with SIGKILL at random
moments under concurrent requesters, restarted, and checked after every kill.

Each test runs on the database of its layer, like tests/load: SQLite in `make
test-sqlite`, a PostgreSQL cluster of its own in `make test-pg`. This is the short run;
`make crash` runs the long one (REFUGE_CRASH_CYCLES and friends, read by the harness).

The negative control runs the same harness against a server made unsafe on purpose
(test code only): PostgreSQL with `synchronous_commit = off`, SQLite behind a middleware
that answers before it commits. It must report lost acknowledged writes; if it did not,
the durability test above it would prove nothing.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from tests.harness import requested_database
from tests.support.crash import CONTROL_CYCLES, CrashConfig, CrashReport, CrashSuite, SqliteDatabase
from tests.support.crash_ops import OPERATIONS

pytestmark = [pytest.mark.slow, pytest.mark.crash]
logger = logging.getLogger(__name__)


def _time_limit() -> float:
    """A minute per cycle besides its load (which may run longer until every operation is covered:
    by its length, or by `patience` times it for a slow one): a hung cycle fails the test, a long
    run (make crash) has time."""
    config = CrashConfig.from_env("sqlite")
    patience = max(operation.patience for operation in OPERATIONS.values())
    return max(config.cycles, CONTROL_CYCLES) * (60.0 + (1 + patience) * config.seconds)


TIME_LIMIT = _time_limit()


def _run(tmp_path: Path, record_property: Callable[[str, object], None], *, unsafe: bool) -> CrashReport:
    report = CrashSuite(tmp_path, CrashConfig.from_env(requested_database(), unsafe=unsafe)).run()
    # Shown with `-o log_cli=true --log-cli-level=INFO` (make crash does), and kept in the JUnit XML.
    logger.info("%s", report.summary())
    record_property("crash", report.summary())
    assert not report.client_errors, f"the harness's clients failed:\n{report.summary()}"
    return report


@pytest.mark.timeout(TIME_LIMIT)
def test_no_acknowledged_write_is_lost_or_half_written_across_repeated_kill_9(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    report = _run(tmp_path, record_property, unsafe=False)
    summary = report.summary()

    assert len(report.cycles) == report.config.cycles, summary
    assert [cycle.problems for cycle in report.cycles] == [0] * len(report.cycles), summary
    assert report.problem_count() == 0, summary
    assert report.audit.startswith("OK:"), summary
    # The run did what it claims: every operation was acknowledged many times, and the
    # kills cut writes off mid-request (their fate unknown to the client, then checked).
    for name in OPERATIONS:
        assert report.counts.get(f"{name}:acked", 0) >= report.config.cycles, summary
    assert sum(v for k, v in report.counts.items() if k.endswith(":unknown")) > 0, summary
    if requested_database() == "postgres":
        assert report.kills["database"] > 0, summary


@pytest.mark.timeout(TIME_LIMIT)
def test_negative_control_an_unsafe_setting_loses_acknowledged_writes_and_the_suite_finds_them(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    report = _run(tmp_path, record_property, unsafe=True)
    summary = report.summary()

    assert report.problem_count("acknowledged") > 0, (
        f"the negative control lost nothing the suite could see:\n{summary}"
    )
    # Both unsafe settings lose whole transactions and nothing else: what comes back after
    # the crash is consistent, only the newest acknowledged writes are missing.
    assert report.problem_count() == report.problem_count("acknowledged"), summary
    assert report.audit.startswith("OK:"), summary


def test_the_checks_see_what_a_bad_crash_would_leave(
    tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """The verifier's other half: half-written rows, not only lost ones, are reported.

    A clean SQLite run (the harness's own database, on either layer: this checks the
    checks), then the database is damaged the way a torn write would: a key loses its
    recovery wrap, a file loses its last bytes, a message disappears from the middle of
    a conversation, an audit entry goes missing; in the cases, a note loses its row, a
    compartment goes back a version, a case key loses a team member's wrap, a person
    loses their blind indexes, a timeline loses an entry; the advisor's decision counts gain one
    no application accounts for; an approved packet loses its file, is counted past its
    download limit and its receipt changes without its audit entry; a letter's wording goes a
    version past its saves; the receiving organisation gets an import's row without its case.
    The acts on a packet (crash_ops_packet_acts.py): a requester's answer loses its row but keeps its
    audit entry, a revoked packet gets its link back, a case closed as referred goes back a stage
    with its version, timeline and audit entries kept, a letter's key outlives its reset letter, and
    a case imported by `refuge import-referral` names another packet than its own.
    Each must be named.
    """
    suite = CrashSuite(tmp_path, CrashConfig("sqlite", cycles=2, seconds=4.0, seed=20261125))
    report = suite.run()
    logger.info("%s", report.summary())
    assert report.problem_count() == 0 and not report.client_errors, report.summary()

    with closing(sqlite3.connect(suite.data_dir / "refuge.sqlite3")) as db, db:
        cut = _with_messages(db)
        truncated = _with_file(db, other_than=cut)
        # Requests still in intake: an accepted one belongs to a case, which is checked as a case.
        references = [
            row[0]
            for row in db.execute(
                "SELECT reference FROM intake_helprequest WHERE status != 'accepted' AND organisation_id = "
                "(SELECT id FROM accounts_organisation WHERE slug = 'crash') ORDER BY reference"
            )
        ]
        unwrapped = next(reference for reference in references if reference not in {truncated, cut})
        db.execute(
            "DELETE FROM keyring_keywrap WHERE holder_kind = 'recovery' AND key_id = "
            "(SELECT key_id FROM intake_helprequest WHERE reference = ?)",
            [unwrapped],
        )
        db.execute(
            "UPDATE intake_requestfile SET data = substr(data, 1, length(data) - 100) WHERE id = "
            "(SELECT f.id FROM intake_requestfile f JOIN intake_helprequest r ON r.id = f.request_id "
            "WHERE r.reference = ? LIMIT 1)",
            [truncated],
        )
        db.execute(
            "DELETE FROM intake_requestmessage WHERE position = 0 AND request_id = "
            "(SELECT id FROM intake_helprequest WHERE reference = ?)",
            [cut],
        )
        noted, rolled, kind, unwrapped_case, unindexed, unopened = _damage_cases(db)
        undeclined, unmerged = _damage_intake_acts(db, other_than={unwrapped, truncated, cut})
        # Retention's organisation: a record key whose rows are gone, as a shred cut in half would leave it.
        db.execute(
            "INSERT INTO keyring_key (id, organisation_id, purpose, label, version, rotation_due, created_on) "
            "SELECT ?, id, 'record', 'request', 1, 0, date('now') FROM accounts_organisation WHERE slug = 'keep'",
            [uuid.uuid4().hex],
        )
        acts = _damage_packet_acts(db)
        _delete_an_audit_entry(
            db,
            requests=[unwrapped, truncated, cut, undeclined, unmerged],
            cases=[noted, rolled, unwrapped_case, unindexed, unopened, acts["referred"]],
            others=[acts["answered"], acts["revoked"], acts["referred packet"]],
        )

        # The advisor's decision counts: one no application accounts for (a status change counted, then lost).
        organisation, pathway = db.execute(
            "SELECT id, (SELECT MIN(id) FROM relocation_pathway) FROM accounts_organisation WHERE slug = 'crash'"
        ).fetchone()
        db.execute(
            "INSERT INTO applications_decisioncount (organisation_id, pathway_id, days, granted, refused) "
            "VALUES (?, ?, 99999, 1, 0)",
            [organisation, pathway],
        )

        # An approved packet whose file is gone before it was spent (the last download deletes it), and
        # whose count is one more than its download audit entries (its limit raised to keep it unspent).
        approved = db.execute(
            # Not one of the set-up's (prepared by `coord` for the cases closed as referred: scanned apart).
            "SELECT id FROM disclosures_packet WHERE approved_by_id IS NOT NULL AND prepared_by_id != "
            "(SELECT id FROM accounts_user WHERE username = 'coord') ORDER BY id LIMIT 1"
        ).fetchone()
        assert approved is not None, "the run approved no packet"
        db.execute(
            "UPDATE disclosures_packet SET produced = X'', downloads = download_limit + 1, "
            "download_limit = download_limit + 2 WHERE id = ?",
            [approved[0]],
        )
        packet = uuid.UUID(approved[0])
        # Its receipt changed without its audit entry: confirmed, or no longer (a confirmation half-undone).
        db.execute(
            "UPDATE disclosures_packet SET received_on = CASE WHEN received_on IS NULL THEN date('now') END "
            "WHERE id = ?",
            [approved[0]],
        )
        # A letter's wording a version ahead of its saves (a save's row without its audit entry).
        letter = db.execute("SELECT kind, language FROM disclosures_lettertemplate ORDER BY id LIMIT 1").fetchone()
        assert letter is not None, "the run saved no letter wording"
        db.execute(
            "UPDATE disclosures_lettertemplate SET version = version + 1 WHERE kind = ? AND language = ?", list(letter)
        )
        # An import's row in the receiving organisation whose case is not there (an import cut in half).
        db.execute(
            "INSERT INTO disclosures_importedreferral (id, organisation_id, packet_id, case_id, imported_on) "
            "SELECT ?, (SELECT id FROM accounts_organisation WHERE slug = 'receive'), ?, MIN(id), date('now') "
            "FROM cases_case",
            [uuid.uuid4().hex, uuid.uuid4().hex],
        )

    verified = suite.verify(SqliteDatabase(unsafe=False))
    found = "\n".join(f"[{p['kind']}] {p['message']}" for p in verified["problems"])
    record_property("crash-damage", found)
    assert f"packet {packet}: approved without its file" in found, found
    assert f"packet {packet}: " in found and "download audit entries" in found, found
    assert f"packet {packet}: received " in found and " receipt audit entries" in found, found
    assert f"letter {letter[0]}/{letter[1]}: version " in found and "'letter changed' audit entries" in found, found
    assert "receive: " in found and "imported referrals, not one for each" in found, found
    assert f"packet {acts['answered']}, portal question: answered False, 1 'consent answered'" in found, found
    assert f"packet {acts['revoked']}: revoked, yet its link, file or 0 document copies are kept" in found, found
    assert f"case {acts['referred']} (to be referred): stage accepted; version, stage entries" in found, found
    assert "1 letter keys belong to no letter" in found, found
    assert f"import-cli case {acts['imported']}: its summary does not name the packet" in found, found
    assert f"request {unwrapped} does not open with the team's key: ValueError: its key has wraps" in found, found
    assert f"request {truncated} does not open with the team's key: CryptoError" in found, found
    assert f"request {cut}: message positions [1" in found, found
    assert f"request {cut}: " in found and "requester messages but" in found, found
    assert "[audit]" in found, found
    assert "[acknowledged]" in found, found
    assert f"case {noted}: " in found and "'NOTE_ADDED' audit entries" in found, found
    assert f"case {rolled}, {kind} compartment, version" in found and "is stored, but not as it was sent" in found
    assert f"case {rolled}, {kind} compartment: " in found and "'COMPARTMENT_WRITTEN' audit entries" in found, found
    assert f"case {unwrapped_case} does not open with the team's key: ValueError: its key is wrapped for 2" in found
    assert f"case {unindexed}, identity compartment: blind indexes" in found, found
    assert f"case {unopened}: timeline entries" in found, found
    assert f"request {undeclined}: status received with 1 decline messages" in found, found
    assert f"request {unmerged}: in 0 merges but 1 'request merged' audit entries" in found, found
    assert f"[counts] pathway {pathway}, 99999 days: kept (1, 0), recounted None" in found, found
    assert "keep: 1 record keys are left that no row uses" in found, found


def _damage_packet_acts(db: sqlite3.Connection) -> dict[str, str]:
    """What a torn act on a packet would leave (see the test), one of each; the packets and cases damaged."""

    def first(query: str, what: str, *values: str) -> str:
        row = db.execute(query, values).fetchone()
        assert row is not None, f"the run {what}"
        return str(row[0])

    answered = first(
        "SELECT packet_id FROM disclosures_consentquestion WHERE answered_on IS NOT NULL ORDER BY id LIMIT 1",
        "had no portal question answered",
    )
    db.execute(
        "UPDATE disclosures_consentquestion SET answered_on = NULL, agreed = NULL WHERE packet_id = ?", [answered]
    )
    revoked = first(
        "SELECT id FROM disclosures_packet WHERE revoked_on IS NOT NULL ORDER BY id LIMIT 1", "revoked no packet"
    )
    db.execute("UPDATE disclosures_packet SET token_digest = 'a link left behind' WHERE id = ?", [revoked])
    referred = first(
        "SELECT reference FROM cases_case WHERE closing_reason = 'referred' ORDER BY reference LIMIT 1",
        "closed no case as referred",
    )
    referred_packet = first(
        "SELECT p.id FROM disclosures_packet p JOIN cases_case c ON c.id = p.case_id WHERE c.reference = ?",
        "closed a case without its packet",
        referred,
    )
    db.execute(
        "UPDATE cases_case SET stage = 'accepted', closing_reason = '', closed_on = NULL WHERE reference = ?",
        [referred],
    )
    db.execute(
        "INSERT INTO keyring_key (id, organisation_id, purpose, label, version, rotation_due, created_on) "
        "SELECT ?, id, 'record', 'letter-template', 1, 0, date('now') FROM accounts_organisation WHERE slug = 'crash'",
        [uuid.uuid4().hex],
    )
    imported = first(
        "SELECT c.reference FROM disclosures_importedreferral i JOIN cases_case c ON c.id = i.case_id "
        "JOIN accounts_organisation o ON o.id = i.organisation_id WHERE o.slug = 'import-cli' ORDER BY c.reference",
        "imported nothing with the command",
    )
    db.execute(
        "UPDATE disclosures_importedreferral SET packet_id = ? "
        "WHERE case_id = (SELECT id FROM cases_case WHERE reference = ?)",
        [uuid.uuid4().hex, imported],
    )
    return {
        "answered": str(uuid.UUID(answered)),
        "revoked": str(uuid.UUID(revoked)),
        "referred": referred,
        "referred packet": referred_packet,
        "imported": imported,
    }


def _damage_intake_acts(db: sqlite3.Connection, *, other_than: set[str]) -> tuple[str, str]:
    """A declined request made open again (its message and audit entries stay), a merge's row deleted
    (its entries stay): what a bulk decline or a merge cut in half would leave. Their references."""
    declined = [
        row[0]
        for row in db.execute("SELECT reference FROM intake_helprequest WHERE status = 'declined' ORDER BY reference")
        if row[0] not in other_than
    ]
    merged = [
        row[0]
        for row in db.execute(
            "SELECT r.reference FROM intake_mergedrequest m JOIN intake_helprequest r ON r.id = m.request_id "
            "JOIN intake_helprequest i ON i.id = m.into_id WHERE i.status != 'accepted' ORDER BY r.reference"
        )
        if row[0] not in other_than
    ]
    assert declined and merged, "the run declined or merged no request"
    db.execute("UPDATE intake_helprequest SET status = 'received' WHERE reference = ?", [declined[0]])
    db.execute(
        "DELETE FROM intake_mergedrequest WHERE request_id = (SELECT id FROM intake_helprequest WHERE reference = ?)",
        [merged[0]],
    )
    return declined[0], merged[0]


def _damage_cases(db: sqlite3.Connection) -> tuple[str, str, str, str, str, str]:
    """Five cases damaged five ways (see the test); their references, and the kind of the compartment."""
    row = db.execute(
        "SELECT c.reference FROM cases_note n JOIN cases_case c ON c.id = n.case_id ORDER BY c.reference LIMIT 1"
    ).fetchone()
    assert row is not None, "the run stored no note"
    noted = str(row[0])
    db.execute(
        "DELETE FROM cases_note WHERE id = (SELECT n.id FROM cases_note n JOIN cases_case c ON c.id = n.case_id "
        "WHERE c.reference = ? LIMIT 1)",
        [noted],
    )
    row = db.execute(
        "SELECT c.reference, m.kind, m.id FROM cases_compartment m JOIN cases_person p ON p.id = m.person_id "
        "JOIN cases_case c ON c.id = p.case_id WHERE m.version > 1 AND c.reference != ? ORDER BY c.reference LIMIT 1",
        [noted],
    ).fetchone()
    assert row is not None, "the run edited no compartment"
    rolled, kind = str(row[0]), str(row[1])
    db.execute("UPDATE cases_compartment SET version = version - 1 WHERE id = ?", [row[2]])
    # The crash organisation's: the receiving organisation's cases (imports) have no timeline of their own.
    # Not those closed as referred (their packets the set-up's, prepared by `coord`): scanned apart.
    others = [
        str(reference)
        for (reference,) in db.execute(
            "SELECT reference FROM cases_case WHERE organisation_id = "
            "(SELECT id FROM accounts_organisation WHERE slug = 'crash') AND id NOT IN (SELECT case_id FROM "
            "disclosures_packet WHERE prepared_by_id = (SELECT id FROM accounts_user WHERE username = 'coord')) "
            "ORDER BY reference"
        )
        if reference not in {noted, rolled}
    ]
    unwrapped, unindexed, unopened = others[:3]
    db.execute(
        "DELETE FROM keyring_keywrap WHERE id = (SELECT w.id FROM keyring_keywrap w "
        "JOIN cases_case c ON c.key_id = w.key_id JOIN accounts_user u ON u.id = w.holder_id "
        "WHERE c.reference = ? AND w.holder_kind = 'user' AND u.username != 'coord' LIMIT 1)",
        [unwrapped],
    )
    db.execute(
        "DELETE FROM cases_caseindex WHERE case_id = (SELECT id FROM cases_case WHERE reference = ?)", [unindexed]
    )
    db.execute(
        "DELETE FROM cases_caseevent WHERE kind = 'opened' AND case_id = (SELECT id FROM cases_case WHERE reference = ?)",
        [unopened],
    )
    return noted, rolled, kind, unwrapped, unindexed, unopened


def _delete_an_audit_entry(db: sqlite3.Connection, *, requests: list[str], cases: list[str], others: list[str]) -> None:
    """Delete a recent audit entry (not the last) about none of the damaged objects.

    An entry about a damaged object could cancel out the damage it is asked to show: the
    requester message cut from a conversation stops being noticed if its audit entry goes too.
    """
    wanted_requests, wanted_cases = set(requests), set(cases)
    damaged = {
        row[1] for row in db.execute("SELECT reference, id FROM intake_helprequest") if row[0] in wanted_requests
    }
    damaged |= {row[1] for row in db.execute("SELECT reference, id FROM cases_case") if row[0] in wanted_cases}
    damaged |= {
        row[1]
        for row in db.execute(
            "SELECT c.reference, m.id FROM cases_compartment m JOIN cases_person p ON p.id = m.person_id "
            "JOIN cases_case c ON c.id = p.case_id"
        )
        if row[0] in wanted_cases
    }
    damaged = {str(value).replace("-", "") for value in [*damaged, *others]}
    entries = db.execute("SELECT seq, object_id FROM audit_auditentry ORDER BY seq DESC").fetchall()
    seq = next(seq for seq, object_id in entries[1:] if object_id.replace("-", "") not in damaged)
    db.execute("DELETE FROM audit_auditentry WHERE seq = ?", [seq])


def _with_file(db: sqlite3.Connection, *, other_than: str) -> str:
    row = db.execute(
        "SELECT r.reference FROM intake_requestfile f JOIN intake_helprequest r ON r.id = f.request_id "
        "WHERE r.reference != ? ORDER BY r.reference LIMIT 1",
        [other_than],
    ).fetchone()
    assert row is not None, "the run stored no file"
    return str(row[0])


def _with_messages(db: sqlite3.Connection) -> str:
    row = db.execute(
        "SELECT r.reference FROM intake_requestmessage m JOIN intake_helprequest r ON r.id = m.request_id "
        # Only the requester's: a decline's message cut from it is another finding (crash_ops_intake.py).
        "GROUP BY r.id HAVING count(*) >= 2 AND min(m.from_requester) = 1 ORDER BY r.reference LIMIT 1"
    ).fetchone()
    assert row is not None, "the run stored no conversation of two messages"
    return str(row[0])
