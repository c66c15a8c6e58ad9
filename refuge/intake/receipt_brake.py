"""A brake on receipt guessing that slows the guesser, not every requester.

Refuge knows nothing about who sends a receipt (no accounts, no addresses), so a
brake can only count receipts. The old one counted every look-up in one budget per
process (600 a minute): 1,300 unknown receipts in 2.7 s then refused the real
receipt of every requester (issue #16). What is worth braking, and what is not:

- Guessing a whole receipt is hopeless at any rate (100 bits, DESIGN.md §5); a
  flood of random receipts costs the server no more than a flood of any other
  page, and is met like one (the process's capacity, a proxy, Tor's proof of work
  for onion services), not by locking the door for everyone.
- Guessing the rest of a receipt someone has partly seen (over a shoulder, on a
  note) is the real threat: 4 of its 5 groups known leave 2^20 guesses, 35 minutes
  at the measured 500 a second.

So failed look-ups are counted per *group*: each receipt's five groups of four
characters, each at its position, fall into five cells of a fixed table. A look-up
is refused before any work when one of its cells has seen `FAILURES_PER_CELL`
failures in this minute. Guesses around a partly known receipt all share its known
groups and are held to that many a minute (2^20 guesses take months); the holder
of that one receipt waits with them, since nothing tells the two apart. Any other
receipt shares a group with a random guess once in 2^20, so a flood the server can
answer leaves it open (the numbers are in docs/limits.md). The right receipt is
never counted. The table has a fixed size: guessers cannot make it grow.
"""

from __future__ import annotations

import secrets
import threading
import time

from refuge.crypto import receipt_group_digests

# Cells in the table (one byte each: 1 MiB per process).
CELLS = 2**20
# Failed look-ups a cell may see in one window before receipts in it are refused.
FAILURES_PER_CELL = 5
WINDOW_SECONDS = 60


class ReceiptBrake:
    """Per-process counts of failed receipt look-ups, per receipt group and position."""

    def __init__(self) -> None:
        # Per-process key: nobody can work out which receipts share a cell.
        self._key = secrets.token_bytes(32)
        self._cells = bytearray(CELLS)
        self._window = 0
        self._lock = threading.Lock()

    def _indexes(self, receipt: str) -> list[int]:
        """The cell of each group of a receipt (any accepted spelling)."""
        return [int.from_bytes(digest) % CELLS for digest in receipt_group_digests(receipt, self._key)]

    def _roll(self) -> None:
        window = int(time.monotonic() // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._cells = window, bytearray(CELLS)

    def allows(self, receipt: str) -> bool:
        """False while one of the receipt's groups has failed too often this minute."""
        indexes = self._indexes(receipt)
        with self._lock:
            self._roll()
            return all(self._cells[i] < FAILURES_PER_CELL for i in indexes)

    def failed(self, receipt: str) -> None:
        """Count a look-up that opened nothing against each of the receipt's groups."""
        indexes = self._indexes(receipt)
        with self._lock:
            self._roll()
            for i in indexes:
                self._cells[i] = min(255, self._cells[i] + 1)
