"""WAL pages each submission writes on SQLite, by b-tree (table or index); for judging a change.

    .venv/bin/python -m bench._wal_pages                               # portal, 100,000 stored, 200 submissions
    .venv/bin/python -m bench._wal_pages --baseline                    # and the baseline build beside it
    .venv/bin/python -m bench._wal_pages --code before=/tmp/refuge-head --code after=. --baseline
    .venv/bin/python -m bench._wal_pages --stored 0 --submissions 50

SQLite's commit time (and the time the write turn is held, refuge/core/write_queue.py)
grows with the pages a commit appends to the WAL and fdatasyncs. This counts them.

Each variant gets its own data directory, prepared by its own tree as bench/_intake_cpu.py
prepares one (`refuge init` with that tree's migrations, an organisation, `--stored`
requests from tests/support/stored_requests.py, ANALYZE). A child process (production settings, the variant's tree on
PYTHONPATH) builds the WSGI application as `refuge serve` does and sends `--warm`
uncounted submissions, then `--submissions` counted ones (GET the form, multipart POST,
as bench/_intake_cpu.py), stopping after each one until this process has read the
frames the submission appended to the WAL file.

This process holds no SQLite connection while the child runs: it only reads the WAL
file's header and frame headers (sqlite.org/fileformat2.html, "WAL file format": a
32-byte header with two salts, then frames of a 24-byte header, whose first word is the
page number and second the database size on a commit frame, and the page). A frame
belongs to the current WAL when its salts are the header's; a checkpoint that restarts
the WAL changes the salts, and counting starts again from the first frame. The child
never opens the database's files by hand (closing any descriptor of a file drops the
process's POSIX locks on it, SQLite's included: commit 8590f9f).

After the child has exited, page numbers are mapped to b-trees with SQLite's `dbstat`
virtual table (name, page type) on the database as it is then; a page in none of them
(on the free list at the end) is counted as "(free)". Printed per variant: frames per
submission by b-tree and page type (internal, leaf, overflow), commits and bytes per
submission; page 1 (the database header, rewritten by every commit that changes the
schema cookie or the free list) is shown as `sqlite_schema`.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bench._intake_cpu import BASELINE_PATH, Variant, prepare, submit_in_process

ROOT = Path(__file__).resolve().parent.parent
_STEP = "WAL-PAGES-STEP"
_HEADER = struct.Struct(">IIIIIIII")
_FRAME = struct.Struct(">IIIIII")


# --- the child: submissions, one at a time ------------------------------------------------------


def child_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, required=True)
    parser.add_argument("--warm", type=int, default=20)
    parser.add_argument("--baseline", action="store_true")
    args = parser.parse_args(argv)
    import django

    import bench._intake_cpu as intake_cpu
    import refuge

    if not Path(refuge.__file__).resolve().is_relative_to(Path.cwd().resolve()):
        raise RuntimeError(f"measuring {refuge.__file__}, not the variant in {Path.cwd()}")
    django.setup()
    from django.core.wsgi import get_wsgi_application

    if args.baseline:
        intake_cpu._path = BASELINE_PATH
    app = get_wsgi_application()
    rng = random.Random(os.urandom(8))
    run_id = os.urandom(3).hex()
    for number in range(args.warm):
        submit_in_process(app, rng, f"{run_id}-w{number}")
    # Frames of the warm-up are not counted: the parent reads up to here first.
    _step(-1, 0.0)
    for number in range(args.submissions):
        _get, post = submit_in_process(app, rng, f"{run_id}-{number}")
        _step(number, post)
    return 0


def _step(number: int, post_cpu: float) -> None:
    print(f"{_STEP} {number} {post_cpu:.6f}", flush=True)
    if sys.stdin.readline() == "":
        raise SystemExit("the parent went away")


# --- the parent: reading the WAL between submissions -------------------------------------------


@dataclass
class WalReader:
    """Frames appended to a WAL file since the last call (one list of page numbers per commit)."""

    path: Path
    offset: int = 0
    salts: tuple[int, int] | None = None
    page_size: int = 0

    def new_commits(self) -> list[list[tuple[int, int]]]:
        """Each commit since the last call: its frames as (page number, database size or 0)."""
        try:
            with self.path.open("rb") as wal:
                return self._read(wal)
        except FileNotFoundError:
            return []

    def _read(self, wal: IO[bytes]) -> list[list[tuple[int, int]]]:
        header = wal.read(_HEADER.size)
        if len(header) < _HEADER.size:
            return []
        magic, _version, page_size, _sequence, salt1, salt2, _c1, _c2 = _HEADER.unpack(header)
        if magic not in (0x377F0682, 0x377F0683):
            raise RuntimeError(f"{self.path} is not a WAL file")
        if (salt1, salt2) != self.salts:
            # A new WAL (first read, or a checkpoint restarted it): its frames start at the header.
            self.salts, self.page_size, self.offset = (salt1, salt2), page_size, _HEADER.size
        commits: list[list[tuple[int, int]]] = []
        pending: list[tuple[int, int]] = []
        position = self.offset
        while True:
            wal.seek(position)
            frame = wal.read(_FRAME.size)
            if len(frame) < _FRAME.size:
                break
            page, size, frame_salt1, frame_salt2, _c1, _c2 = _FRAME.unpack(frame)
            if (frame_salt1, frame_salt2) != self.salts:
                break  # left over from before the WAL restarted
            position += _FRAME.size + self.page_size
            pending.append((page, size))
            if size:
                commits.append(pending)
                pending = []
                self.offset = position
        return commits


@dataclass
class Counted:
    """What one variant's counted submissions wrote."""

    submissions: int = 0
    commits: int = 0
    page_size: int = 0
    # Page number → frames written for it, over all counted submissions.
    frames: collections.Counter[int] = field(default_factory=collections.Counter)
    per_submission: list[int] = field(default_factory=list)
    post_cpu: list[float] = field(default_factory=list)


def count_variant(
    data_dir: Path, env: dict[str, str], code: Path, submissions: int, warm: int, baseline: bool
) -> Counted:
    """Run the child on `data_dir` and read the WAL after each of its submissions."""
    reader = WalReader(data_dir / "refuge.sqlite3-wal")
    counted = Counted()
    args = ["--submissions", str(submissions), "--warm", str(warm)]
    if baseline:
        args.append("--baseline")
    # Started by path and from the variant's tree, as bench/_intake_cpu.py does.
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "child", *args],
        cwd=code,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if child.stdin is None or child.stdout is None:
        raise RuntimeError("the child's pipes were not opened")
    try:
        for line in child.stdout:
            if not line.startswith(_STEP):
                continue
            _marker, number, post_cpu = line.split()
            commits = reader.new_commits()
            if int(number) >= 0:
                counted.submissions += 1
                counted.commits += len(commits)
                counted.post_cpu.append(float(post_cpu))
                pages = [page for commit in commits for page, _size in commit]
                counted.frames.update(pages)
                counted.per_submission.append(len(pages))
            child.stdin.write("\n")
            child.stdin.flush()
    finally:
        child.stdin.close()
        stderr = child.stderr.read() if child.stderr else ""
        returncode = child.wait(timeout=600)
    if returncode != 0:
        raise RuntimeError(f"bench._wal_pages child failed:\n{stderr[-4000:]}")
    counted.page_size = reader.page_size
    return counted


def page_owners(database: Path) -> dict[int, tuple[str, str]]:
    """Page number → (b-tree name, page type) for every page in a b-tree, from `dbstat`."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = connection.execute("SELECT name, pageno, pagetype FROM dbstat").fetchall()
    finally:
        connection.close()
    return {pageno: (name, pagetype) for name, pageno, pagetype in rows}


def breakdown(counted: Counted, owners: dict[int, tuple[str, str]]) -> dict[str, dict[str, int]]:
    """B-tree name → page type → frames written (all counted submissions)."""
    table: dict[str, dict[str, int]] = collections.defaultdict(lambda: collections.defaultdict(int))
    for page, frames in counted.frames.items():
        name, kind = owners.get(page, ("(free)", "free"))
        table[name][kind] += frames
    return table


def report(name: str, counted: Counted, table: dict[str, dict[str, int]]) -> None:
    n = max(1, counted.submissions)
    total = sum(counted.per_submission)
    print(
        f"\n{name}: {counted.submissions} submissions, {counted.commits / n:.2f} commits each, "
        f"{total / n:.1f} WAL frames each (median {statistics.median(counted.per_submission or [0]):.0f}), "
        f"{total * (counted.page_size + _FRAME.size) / n / 1024:.0f} KiB each (page {counted.page_size} B); "
        f"POST CPU median {statistics.median(counted.post_cpu or [0]) * 1000:.2f} ms"
    )
    print(f"  {'b-tree':52} {'frames/sub':>10} {'internal':>9} {'leaf':>7} {'overflow':>9}")
    rows = sorted(table.items(), key=lambda item: -sum(item[1].values()))
    for tree, kinds in rows:
        print(
            f"  {tree:52} {sum(kinds.values()) / n:10.2f} {kinds.get('internal', 0) / n:9.2f} "
            f"{kinds.get('leaf', 0) / n:7.2f} {kinds.get('overflow', 0) / n:9.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["child"]:
        return child_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", action="append", default=[], metavar="NAME=DIR")
    parser.add_argument("--baseline", action="store_true", help="also the plaintext baseline build (this tree)")
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20)
    args = parser.parse_args(argv)
    variants = [
        Variant(name, Path(directory).resolve()) for name, _, directory in (c.partition("=") for c in args.code)
    ]
    if not variants:
        variants = [Variant("this", ROOT)]
    if args.baseline:
        variants.append(Variant("baseline", ROOT, baseline=True))
    base = Path(tempfile.mkdtemp(prefix="refuge-wal-"))
    try:
        for variant in variants:
            # Each variant's own tree prepares its database: its migrations make its schema.
            prepared = prepare(variant, args.stored, base, None)
            counted = count_variant(
                prepared.data_dir, prepared.env, variant.code, args.submissions, args.warm, variant.baseline
            )
            table = breakdown(counted, page_owners(prepared.data_dir / "refuge.sqlite3"))
            report(f"{variant.name} ({args.stored:,} stored)", counted, table)
            shutil.rmtree(prepared.data_dir.parent, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
