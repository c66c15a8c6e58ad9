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

The counts are shared by every app process on the database (refuge/core/counters.py):
a guesser whose look-ups a load balancer spreads over several processes or servers is
held to the same five a minute as one who meets a single process. The cells are keyed
with a key derived from the server key and the minute, the same in every process and
unknown outside it: nobody can work out which receipts share a cell, and a cell's
neighbours change every minute.
"""

from __future__ import annotations

from collections import Counter

from django.conf import settings

from refuge.core import counters
from refuge.crypto import derive_subkey, receipt_group_digests

# Cells in the table: at most this many rows of the scope below, one per cell.
CELLS = 2**20
# Failed look-ups a cell may see in one window before receipts in it are refused.
FAILURES_PER_CELL = 5
WINDOW_SECONDS = 60  # counters count per minute
SCOPE = "receipt"


class ReceiptBrake:
    """Counts of failed receipt look-ups per receipt group and position, shared by every process."""

    def _indexes(self, receipt: str, minute: int) -> list[int]:
        """The cell of each group of a receipt (any accepted spelling) in this minute."""
        key = derive_subkey(settings.REFUGE_SERVER_KEY, f"receipt-brake:{minute}")
        return [int.from_bytes(digest) % CELLS for digest in receipt_group_digests(receipt, key)]

    def allows(self, receipt: str) -> bool:
        """False while one of the receipt's groups has failed too often this minute."""
        minute = counters.current_minute()
        cells = [str(i) for i in self._indexes(receipt, minute)]
        return counters.highest(SCOPE, cells, minute=minute) < FAILURES_PER_CELL

    def failed(self, receipt: str) -> None:
        """Count a look-up that opened nothing against each of the receipt's groups."""
        minute = counters.current_minute()
        cells = Counter(str(i) for i in self._indexes(receipt, minute))
        counters.add(SCOPE, cells, minute=minute)
