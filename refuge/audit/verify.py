"""Checking the audit chain, its signed checkpoints, and a witness's export.

Each check answers one threat: someone who can write the database (a seized
server, a rogue administrator) editing, deleting, inserting, reordering or
truncating entries to hide an act, or forging a checkpoint to cover it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from refuge.audit.chain import GENESIS_HASH, checkpoint_message, entry_payload
from refuge.audit.export import ExportedKey, parse_line
from refuge.audit.keys import installation_public_key
from refuge.audit.models import AuditEntry
from refuge.audit.rows import (
    CHUNK,
    CheckpointRow,
    EntryRow,
    entry_at,
    head_row,
    highest_seq,
    iter_checkpoints,
    iter_entries,
    latest_checkpoint,
)
from refuge.crypto import CryptoError, chain_hash, verify_signature

# A log rewritten wholesale could yield a problem per entry; memory stays bounded.
MAX_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    """One thing wrong, at the entry's seq where there is one, in plain English."""

    seq: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        return self.message if self.seq is None else f"seq {self.seq}: {self.message}"


@dataclass
class VerifyReport:
    """What a verification found: problems (ordered by seq) and what was checked."""

    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0
    entries: int = 0
    checkpoints: int = 0
    witness_checkpoints: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems and not self.omitted

    def add(self, seq: int | None, kind: str, message: str) -> None:
        """Note a problem, or only count it once MAX_PROBLEMS are held."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq, kind, message))
        else:
            self.omitted += 1

    def merge(self, other: VerifyReport) -> None:
        """Add another report's problems and counts to this one."""
        for problem in other.problems:
            self.add(problem.seq, problem.kind, problem.message)
        self.omitted += other.omitted
        self.entries += other.entries
        self.checkpoints += other.checkpoints
        self.witness_checkpoints += other.witness_checkpoints
        self.sort()

    def sort(self) -> None:
        """Order problems by seq, problems without one last."""
        self.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))


def verify_chain() -> VerifyReport:
    """Walk the whole log and its checkpoints in seq order and report every problem."""
    report = VerifyReport()
    walk = _Walk(report, installation_public_key())
    # Walk up to the head as it is now: entries appended while the walk runs
    # are left for the next run instead of looking like a truncated log.
    head = head_row()
    upto = head[0] if head is not None else None
    _walk_entries_and_checkpoints(walk, upto)
    if upto is not None:
        # Threat: a truncated tail, hidden by also resetting the head row; the
        # checkpoints signed beyond the new end still say where the log reached.
        # One signed since the walk began has its entry, and matches it.
        for checkpoint in iter_checkpoints(after_seq=upto):
            walk.checkpoint(checkpoint, entry_at(checkpoint.seq))
    _check_head(report, head, walk.last_seq, walk.last_hash)
    _check_nothing_above_head(report)
    report.sort()
    return report


def _walk_entries_and_checkpoints(walk: _Walk, upto: int | None) -> None:
    """Merge entries and checkpoints up to seq upto, both in seq order, one chunk at a time."""
    checkpoints = iter_checkpoints(upto_seq=upto)
    pending = next(checkpoints, None)
    for row in iter_entries(upto_seq=upto):
        # Checkpoints whose entry is gone (deleted, or numbered in a gap).
        while pending is not None and pending.seq < row.seq:
            walk.checkpoint(pending, None)
            pending = next(checkpoints, None)
        walk.entry(row)
        if pending is not None and pending.seq == row.seq:
            walk.checkpoint(pending, row)
            pending = next(checkpoints, None)
    while pending is not None:
        walk.checkpoint(pending, None)
        pending = next(checkpoints, None)


def verify_since_checkpoint(head_seq: int, head_hash: bytes) -> VerifyReport:
    """Check the chain from the latest checkpoint up to the given head, before signing it."""
    report = VerifyReport()
    public_key = installation_public_key()
    walk = _Walk(report, public_key)
    latest = latest_checkpoint()
    if latest is not None:
        walk.checkpoint(latest, entry_at(latest.seq))
        walk.start_after(latest.seq, latest.entry_hash)
    for row in iter_entries(after_seq=latest.seq if latest else None):
        walk.entry(row)
    _check_head(report, (head_seq, head_hash), walk.last_seq, walk.last_hash)
    report.sort()
    return report


def verify_export(lines: Iterable[str], public_key: bytes | None = None) -> VerifyReport:
    """Compare a witness's export with the live log; public_key pins the key if given."""
    report = VerifyReport()
    witness = _Witness(report, public_key)
    for number, line in enumerate(lines, start=1):
        if line.strip():
            witness.line(number, line)
    witness.flush()
    # Threat: an attacker who replaced the installation key can re-sign a
    # rewritten log, so every live check passes; only the witness remembers the key.
    if witness.key is not None and witness.key != installation_public_key():
        report.add(
            None,
            "witness_key",
            "this installation's audit key is not the one the witness recorded: "
            "the key was replaced, and checkpoints may have been re-signed",
        )
    report.sort()
    return report


class _Walk:
    """One pass along the chain: what the next entry must be, and what was seen."""

    def __init__(self, report: VerifyReport, public_key: bytes) -> None:
        self.report = report
        self.public_key = public_key
        self.last_seq = 0
        self.last_hash = GENESIS_HASH
        self.last_good_checkpoint: int | None = None

    def start_after(self, seq: int, entry_hash: bytes) -> None:
        self.last_seq, self.last_hash = seq, entry_hash
        self.last_good_checkpoint = seq

    def entry(self, row: EntryRow) -> None:
        report = self.report
        report.entries += 1
        expected = self.last_seq + 1
        if row.seq < expected:
            # Only possible for seq < 1: seq is unique and rows come in seq order.
            report.add(row.seq, "inserted", f"entry {row.seq} is numbered before the start of the log: it was inserted")
            return
        linked = row.seq == expected
        if not linked:
            # Threat: deleting entries to hide acts.
            report.add(expected, "missing", f"{_span(expected, row.seq - 1)} missing: deleted from the log")
        if not _hash_matches(row):
            # Threat: editing an entry in place (who, what, when).
            report.add(
                row.seq,
                "edited",
                f"entry {row.seq} was changed after it was written: its contents do not match its hash",
            )
        if linked and row.prev_hash != self.last_hash:
            # Threat: an entry inserted, replaced or moved; its link to the one
            # before cannot be forged without the whole tail being re-chained.
            report.add(
                row.seq,
                "broken_link",
                f"entry {row.seq} does not follow entry {row.seq - 1}: "
                f"an entry was inserted, replaced or reordered at entry {row.seq - 1} or {row.seq}",
            )
        self.last_seq, self.last_hash = row.seq, row.entry_hash

    def checkpoint(self, checkpoint: CheckpointRow, row: EntryRow | None) -> None:
        report = self.report
        report.checkpoints += 1
        seq = checkpoint.seq
        message = checkpoint_message(seq, checkpoint.entry_hash, checkpoint.signed_at)
        try:
            # Threat: a forged checkpoint. Always the installation key from outside
            # the database: the stored public_key column is as writable as the rest.
            verify_signature(self.public_key, message, checkpoint.signature)
        except CryptoError:
            if checkpoint.public_key != self.public_key:
                text = (
                    f"is signed by another key ({checkpoint.public_key.hex()[:16]}…), not this installation's audit key"
                )
            else:
                text = "has a signature that does not verify: it was forged or altered"
            report.add(seq, "checkpoint_signature", f"the checkpoint at entry {seq} {text}")
            return
        if row is None:
            report.add(
                seq,
                "checkpoint_orphan",
                f"the checkpoint at entry {seq} refers to an entry that no longer exists: "
                "the log was truncated or entries were deleted",
            )
        elif checkpoint.entry_hash != row.entry_hash:
            # Threat: the log rewritten and re-chained up to here, without the key.
            since = self.last_good_checkpoint
            after = f" (after entry {since}, whose checkpoint still matches)" if since is not None else ""
            report.add(
                seq,
                "checkpoint_mismatch",
                f"entry {seq} no longer has the hash its checkpoint signed: "
                f"the log was rewritten at or before entry {seq}{after}",
            )
        else:
            self.last_good_checkpoint = seq


def _hash_matches(row: EntryRow) -> bool:
    try:
        return chain_hash(row.prev_hash, entry_payload(row)) == row.entry_hash
    except ValueError:
        # A prev_hash of the wrong length cannot have been written by record().
        return False


def _check_head(report: VerifyReport, head: tuple[int, bytes] | None, last_seq: int, last_hash: bytes) -> None:
    """Compare where the log ends with where the head row says it ends."""
    if head is None:
        if last_seq:
            report.add(None, "head_missing", "the head record is missing, so a truncated log cannot be ruled out")
        return
    head_seq, head_hash = head
    if head_seq > last_seq:
        # Threat: the newest entries deleted to hide the latest acts.
        report.add(
            last_seq + 1,
            "truncated",
            f"the log ends at entry {last_seq} but the head says it reached entry {head_seq}: "
            f"{_span(last_seq + 1, head_seq)} removed from the end",
        )
    elif head_seq < last_seq:
        _report_above_head(report, head_seq, last_seq)
    elif head_hash != last_hash:
        report.add(
            last_seq, "head_mismatch", f"entry {last_seq} does not have the hash the head recorded: it was replaced"
        )


def _check_nothing_above_head(report: VerifyReport) -> None:
    """Report entries stored above the head, which record() cannot have written."""
    # The highest seq is read before the head: record() commits an entry and the
    # head together, so a genuine append is never above a head read afterwards.
    top = highest_seq()
    head = head_row()
    if top is not None and head is not None and top > head[0]:
        _report_above_head(report, head[0], top)


def _report_above_head(report: VerifyReport, head_seq: int, top: int) -> None:
    # Threat: entries added directly in the database, not through record().
    report.add(
        head_seq + 1,
        "beyond_head",
        f"{_span(head_seq + 1, top)} after the head (entry {head_seq}): added to the database directly, not appended by Refuge",
    )


class _Witness:
    """Streams an export's lines, checking signatures, then comparing with the live log."""

    def __init__(self, report: VerifyReport, pinned_key: bytes | None) -> None:
        self.report = report
        self.pinned_key = pinned_key
        self.key: bytes | None = pinned_key
        self.batch: list[CheckpointRow] = []
        self.last_match: int | None = None

    def line(self, number: int, line: str) -> None:
        try:
            item = parse_line(line)
        except ValueError:
            self.report.add(None, "witness_format", f"line {number} of the witness file is not an audit export line")
            return
        if isinstance(item, ExportedKey):
            self._key(number, item.public_key)
            return
        if self.key is None:
            self.report.add(None, "witness_format", f"line {number} of the witness file comes before its key line")
            return
        try:
            # Threat: a witness file edited to agree with a rewritten log.
            verify_signature(self.key, checkpoint_message(item.seq, item.entry_hash, item.signed_at), item.signature)
        except CryptoError:
            self.report.add(
                item.seq,
                "witness_signature",
                f"the witness's checkpoint at entry {item.seq} does not verify under the witness key: "
                "the witness file was altered",
            )
            return
        self.batch.append(item)
        if len(self.batch) >= CHUNK:
            self.flush()

    def _key(self, number: int, key: bytes) -> None:
        if self.key is None:
            self.key = key
        elif key != self.key:
            pinned = "the key you gave" if self.pinned_key is not None else "the file's first key line"
            self.report.add(None, "witness_key", f"line {number} of the witness file names a key other than {pinned}")

    def flush(self) -> None:
        """Compare the batched witness checkpoints with the live entries at their seqs."""
        if not self.batch:
            return
        seqs = [item.seq for item in self.batch]
        live = {
            seq: bytes(entry_hash)
            for seq, entry_hash in AuditEntry.objects.filter(seq__in=seqs).values_list("seq", "entry_hash")
        }
        for item in self.batch:
            self.report.witness_checkpoints += 1
            entry_hash = live.get(item.seq)
            if entry_hash is None:
                # Threat: entries the witness saw have since been removed.
                self.report.add(
                    item.seq,
                    "witness_missing",
                    f"entry {item.seq}, which the witness recorded, no longer exists: the log was truncated or rewritten",
                )
            elif entry_hash != item.entry_hash:
                # Threat: the whole log rewritten and re-chained (even re-signed):
                # only a copy kept off the host still holds the old hashes.
                since = self.last_match
                after = f" (after entry {since}, which still matches)" if since is not None and since < item.seq else ""
                self.report.add(
                    item.seq,
                    "witness_mismatch",
                    f"entry {item.seq} differs from what the witness recorded: "
                    f"the log was rewritten at or before entry {item.seq}{after}",
                )
            else:
                self.last_match = max(self.last_match or 0, item.seq)
        self.batch = []


def _span(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first} to {last} are"
