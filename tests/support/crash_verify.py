"""The crash suite's verifier: after a crash, is every acknowledged write there, and nothing half-written?

Run by the harness (tests/support/crash.py) after every kill and restart, in a process
of its own with the server's production settings on the server's database:

    python -m tests.support.crash_verify INPUT.json OUTPUT.json

INPUT holds the organisation, the coordinator's password, the recovery shares, what the
set-up of the cases left (its baseline) and the ledger of every attempt the clients made;
OUTPUT gets the problems found and counts. With `--set-up` first, it makes the caseworkers
and their cases instead (crash_ops.set_up_cases), before the first cycle.
The checks, in order (each problem has a kind):

- `integrity`: the database's own consistency check: SQLite `PRAGMA integrity_check` and
  `foreign_key_check`; PostgreSQL's amcheck over every B-tree index (with every heap
  tuple looked up in it) and every table's heap.
- `audit`: the hash-chained audit log verifies (the same `verify_chain` as `refuge audit verify`).
- `acknowledged`: every acknowledged write, opened as its author opens it (a request with
  its receipt through `access_by_receipt`; a case as a member of its team), holds exactly
  what was sent; an acknowledged edit is there, or a later one.
- `half-written`, `phantom`, `duplicate`: every stored write, opened with the team's key
  (the coordinator's keyring, cross-checked against the organisation recovery key), is
  whole, belongs to an attempt that was sent and not refused, appears once, and equals
  what that attempt sent. The scanners of tests/support/crash_ops.py walk the tables.
- `counts`: the advisor's decision counts per pathway (refuge/applications/tally.py, kept by the
  status action in each change's transaction) equal a recount of the organisation's applications.
- `error`: a check that could not run (e.g. a database too damaged to read).
"""

from __future__ import annotations

import json
import sys
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.crash_ops import ACKED, OPERATIONS, REFUSED, SCANNERS, UNSENT, Attempt, Stored, set_up_cases
from tests.support.crash_ops_retention import check_kept

# A badly broken run could list a problem per row; the report keeps the first ones and a count.
MAX_LISTED = 200


@dataclass
class Findings:
    problems: list[dict[str, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, kind: str, message: str) -> None:
        self.counts[f"problem:{kind}"] += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append({"kind": kind, "message": message})


class World:
    """What the checks need from the database: the organisation, its keys, its audit entries."""

    def __init__(
        self, org_slug: str, coordinator: str, password: str, shares: list[str], setup: dict[str, Any] | None = None
    ) -> None:
        from refuge.accounts.login import find_member
        from refuge.audit.models import AuditEntry, HeldEntry
        from refuge.crypto import recover_private_key, unwrap_with_password
        from refuge.keyring.keyring import Keyring

        user = find_member(org_slug, coordinator)
        if user is None:
            raise LookupError(f"no member {coordinator!r} of {org_slug!r}")
        self.organisation = user.organisation
        # The coordinator holds the intake group key, which holds every request's key.
        self.keyring = Keyring(user, unwrap_with_password(bytes(user.private_key_password_wrap), password))
        self.recovery_private_key = recover_private_key(shares, bytes(self.organisation.recovery_public_key))
        # A requester's act is chained after its hour ends, and held until then: either counts.
        self.audit = Counter(
            AuditEntry.objects.filter(organisation_id=self.organisation.pk).values_list("code", "object_id")
        ) + Counter(HeldEntry.objects.filter(organisation_id=self.organisation.pk).values_list("code", "object_id"))
        self.cache: dict[Any, Any] = {}
        # What the set-up of the cases left (crash_ops.case_baseline): the clients' writes are counted on top.
        self.setup: dict[str, Any] = setup or {}
        # Every attempt of the run: rows without a serial of their own (a merge, an attach, a
        # departure) are tied to the one attempt that named their target (crash_ops_intake.serial_of,
        # crash_ops_applications).
        self.attempts: list[Attempt] = []
        # Retention's organisation: requests its runner sent and had acknowledged (crash_ops_retention.py).
        self.keep: dict[str, int] = {}
        # The organisation that imports packets: its slug, coordinator and recovery shares (crash_ops_referrals.py).
        self.receiving: dict[str, Any] = {}
        self.password = password

    def lookup_id(self, receipt: str) -> str:
        from django.conf import settings

        from refuge.crypto import derive_receipt_secrets

        return derive_receipt_secrets(receipt, settings.REFUGE_RECEIPT_PEPPER).lookup_id.hex()

    def wraps_of(self, key_ids: list[Any]) -> dict[Any, list[Any]]:
        """The current wraps of these keys, by key id (one query)."""
        from refuge.keyring.models import KeyWrap

        wraps: dict[Any, list[Any]] = {}
        for wrap in KeyWrap.objects.filter(key_id__in=key_ids).select_related("key"):
            if wrap.key_version == wrap.key.version:
                wraps.setdefault(wrap.key_id, []).append(wrap)
        return wraps

    def team_secret(self, key: Any, holders: set[str], wraps: list[Any], users: set[Any] | None = None) -> bytes:
        """A record key's secret as the team opens it; ValueError unless `wraps` (the key's current
        ones) are for exactly these kinds of holder (and, if `users` is given, its member wraps for
        exactly these members) and the recovery wrap holds the same secret.

        Opened with the coordinator's keyring (directly, or through the group key); a key the
        coordinator does not hold (e.g. a compartment not given to them) with the recovery key.
        """
        from refuge.crypto import open_sealed
        from refuge.keyring.models import HolderKind, Key
        from refuge.keyring.wraps import open_recovery_wrap

        kinds = {wrap.holder_kind for wrap in wraps}
        if kinds != holders:
            raise ValueError(f"its key has wraps for {sorted(kinds)}, not {sorted(holders)}")
        members = {wrap.holder_id for wrap in wraps if wrap.holder_kind == HolderKind.USER}
        if users is not None and members != users:
            raise ValueError(f"its key is wrapped for {len(members)} members, its team has {len(users)}")
        by_kind = {wrap.holder_kind: wrap for wrap in wraps}
        if HolderKind.GROUP in by_kind:
            # What Keyring.secret_for does for a key held through a group: open the group key
            # with the member's own wrap, then the key's wrap for the group.
            group_wrap = by_kind[HolderKind.GROUP]
            group = self.cache.get(("group", group_wrap.holder_key_id))
            if group is None:
                group = self.keyring.secret_for(Key.objects.get(pk=group_wrap.holder_key_id))
                self.cache[("group", group_wrap.holder_key_id)] = group
            secret = open_sealed(group, bytes(group_wrap.wrapped))
        elif self.keyring.user.pk in members or HolderKind.RECOVERY not in by_kind:
            secret = self.keyring.secret_for(key)
        else:
            return open_recovery_wrap(by_kind[HolderKind.RECOVERY], self.recovery_private_key)
        if (
            HolderKind.RECOVERY in by_kind
            and open_recovery_wrap(by_kind[HolderKind.RECOVERY], self.recovery_private_key) != secret
        ):
            raise ValueError("its recovery wrap holds another secret than its team wrap")
        return secret

    def audit_count(self, code: int, object_id: Any) -> int:
        return self.audit[(int(code), str(object_id))]

    def audited_objects(self, code: int) -> set[str]:
        return {object_id for (entry_code, object_id) in self.audit if entry_code == int(code)}


def check_integrity(findings: Findings) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            rows = [row[0] for row in cursor.fetchall()]
            if rows != ["ok"]:
                for row in rows:
                    findings.add("integrity", f"sqlite integrity_check: {row}")
            cursor.execute("PRAGMA foreign_key_check")
            for table, rowid, parent, _ in cursor.fetchall():
                findings.add("integrity", f"{table} row {rowid} points at a missing {parent} row")
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_am a ON a.oid = c.relam WHERE n.nspname = 'public' AND c.relkind = 'i' AND a.amname = 'btree'"
        )
        for (index,) in cursor.fetchall():
            cursor.execute("SELECT bt_index_check(%s::regclass, true)", [index])
        cursor.execute(
            "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r'"
        )
        for (table,) in cursor.fetchall():
            cursor.execute("SELECT blkno, offnum, msg FROM verify_heapam(%s::regclass)", [table])
            for block, offset, message in cursor.fetchall():
                findings.add("integrity", f"{table} block {block} item {offset}: {message}")


def check_audit(findings: Findings) -> None:
    from refuge.audit.verify import verify_chain

    report = verify_chain()
    findings.counts["audit entries"] = report.entries
    for problem in report.problems:
        findings.add("audit", str(problem))


def check_writes(findings: Findings, world: World, attempts: list[Attempt]) -> None:
    """Every stored write through the team's eyes, then the acknowledged ones through their author's."""
    by_serial = {attempt.serial: attempt for attempt in attempts}
    # Writes with no free text to carry a serial (a departure, the start of an application) are
    # tied to their attempt by what it targeted (crash_ops_applications).
    world.attempts = attempts
    seen: Counter[str] = Counter()
    for scan in SCANNERS:
        for item in scan(world):
            if isinstance(item, str):
                findings.add("half-written", item)
                continue
            seen[item.serial] += 1
            _match(findings, world, item, by_serial.get(item.serial))
    for serial, copies in seen.items():
        if copies > 1:
            findings.add("duplicate", f"{serial} is stored {copies} times")
    for attempt in attempts:
        findings.counts[f"{attempt.op}:{attempt.status}"] += 1
        stored = seen[attempt.serial] > 0
        if attempt.status != ACKED:
            findings.counts[f"{attempt.op}:{attempt.status}:{'stored' if stored else 'absent'}"] += 1
            if attempt.detail.startswith("HTTP "):
                # What the server said about writes it had stored: an error page that promises
                # "nothing was saved", or a 400 after the commit, is a wrong answer worth seeing.
                findings.counts[f"answered {attempt.detail}:{'stored' if stored else 'absent'}"] += 1
            continue
        problems = OPERATIONS[attempt.op].check_acknowledged(world, attempt)
        for problem in problems:
            findings.add("acknowledged", problem)
        if not problems and not stored and not OPERATIONS[attempt.op].overwrites:
            findings.add("acknowledged", f"acknowledged {attempt.op} {attempt.serial} is not among the stored writes")
    for problem in check_kept(world):
        findings.add("acknowledged", problem)
    findings.counts["requests shredded in keep"] = world.cache.get("keep shredded", 0)
    findings.counts["stored writes"] = sum(seen.values())


def _match(findings: Findings, world: World, item: Stored, attempt: Attempt | None) -> None:
    if attempt is None:
        findings.add("phantom", f"{item.where}: stored write {item.serial} matches no attempt")
        return
    operation = OPERATIONS[attempt.op]
    if attempt.status in (UNSENT, REFUSED):
        findings.add("phantom", f"{item.where}: {attempt.op} {attempt.serial} is stored but was {attempt.status}")
    if operation.stores != item.kind:
        findings.add("phantom", f"{item.where}: {attempt.serial} was a {attempt.op}, stored as a {item.kind}")
    elif item.content != operation.expected(world, attempt):
        findings.add("half-written", f"{item.where}: {attempt.op} {attempt.serial} is stored, but not as it was sent")


def check_decision_counts(findings: Findings, world: World) -> None:
    from refuge.applications.tally import recounted, stored

    kept, counted = stored(world.organisation.pk), recounted(world.organisation.pk)
    for key in sorted(set(kept) | set(counted)):
        if kept.get(key) != counted.get(key):
            findings.add(
                "counts", f"pathway {key[0]}, {key[1]} days: kept {kept.get(key)}, recounted {counted.get(key)}"
            )


def verify(spec: dict[str, Any]) -> dict[str, Any]:
    """Every check; a check that raises becomes an `error` problem and the others still run."""
    findings = Findings()
    attempts = [Attempt(**item) for item in spec["attempts"]]
    checks = [("database integrity", lambda: check_integrity(findings)), ("audit log", lambda: check_audit(findings))]
    for name, check in checks:
        try:
            check()
        except Exception as error:  # noqa: BLE001 - a damaged database is a finding, not a crash of the verifier
            findings.add("error", f"{name} check failed: {type(error).__name__}: {error}")
    try:
        world = World(spec["org"], spec["coordinator"], spec["password"], spec["shares"], spec.get("setup"))
        world.keep = spec.get("keep", {})
        world.receiving = spec.get("receiving", {})
        check_writes(findings, world, attempts)
        check_decision_counts(findings, world)
    except Exception as error:  # noqa: BLE001 - as above
        # Where in the checks (the innermost frame of tests/support/), not in a library they called.
        frames = traceback.extract_tb(error.__traceback__)
        where = next((f for f in reversed(frames) if "/tests/support/" in f.filename), frames[-1])
        findings.add(
            "error",
            f"checking the writes failed: {type(error).__name__}: {error} ({Path(where.filename).name}:{where.lineno})",
        )
    return {"problems": findings.problems, "counts": dict(findings.counts)}


def set_up(spec: dict[str, Any]) -> dict[str, Any]:
    """Open the cases the clients' caseworkers edit (crash_ops.set_up_cases), before the first cycle."""
    world = World(spec["org"], spec["coordinator"], spec["password"], spec["shares"])
    return set_up_cases(
        world,
        spec["workers"],
        spec.get("intake", []),
        spec.get("journeys", 0),
        spec["password"],
        spec.get("referrals", 0),
    )


def main(argv: list[str]) -> None:
    run = verify
    if argv[:1] == ["--set-up"]:
        run, argv = set_up, argv[1:]
    if len(argv) != 2:
        raise SystemExit("usage: python -m tests.support.crash_verify [--set-up] INPUT.json OUTPUT.json")
    import django

    django.setup()
    result = run(json.loads(Path(argv[0]).read_text(encoding="utf-8")))
    Path(argv[1]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
