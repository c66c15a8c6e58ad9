"""Crash-suite operations of safety: a requester checks in (tests/support/crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operation and scanner register with the others.
A check-in is one transaction (the encrypted row, the schedule's step, its held audit entry):
acknowledged, it is stored whole; refused or lost, nothing of it is.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tests.support.crash_ops import (
    MESSAGE_PHRASES,
    TRANSPORT_ERRORS,
    Attempt,
    CrashClient,
    Operation,
    Stored,
    register,
    scanner,
)

if TYPE_CHECKING:
    from tests.support.crash_verify import World

CHECK_IN_SERIAL = re.compile(r"Check-in (c\d+-\d+):")
# Below the portal's 12 check-ins per request per hour.
MAX_CHECK_INS_PER_REQUEST = 8
_sent: Counter[tuple[int, str]] = Counter()


@register
class CheckIn(Operation):
    """A check-in with a short message, on the portal's check-in page (receipt and message)."""

    name = "check-in"
    weight = 0.15
    stores = "check-in"

    def _targets(self, client: CrashClient) -> list[Any]:
        return [r for r in client.writable() if _sent[(client.number, r.receipt)] < MAX_CHECK_INS_PER_REQUEST]

    def ready(self, client: CrashClient) -> bool:
        return bool(self._targets(client))

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        target = client.rng.choice(self._targets(client))
        words = ", ".join(client.rng.choice(MESSAGE_PHRASES) for _ in range(client.rng.randint(1, 4)))
        attempt.receipt = target.receipt
        attempt.payload = {"message": f"Check-in {attempt.serial}: {words}"[:500]}
        browser = client.http()
        try:
            page = browser.get("/r/request/check-in/")
            fields = {"csrfmiddlewaretoken": page.csrf_token(), "receipt": target.receipt, **attempt.payload}
        except (*TRANSPORT_ERRORS, AssertionError) as error:
            attempt.detail = f"before sending: {type(error).__name__}"
            return
        _sent[(client.number, target.receipt)] += 1
        attempt.send(
            lambda: browser.post_form("/r/request/check-in/", fields),
            lambda r: r.status == 200 and "Received at" in r.text,
        )

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {"request": world.lookup_id(attempt.receipt), "message": attempt.payload["message"], "signal": ""}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        found = world.cache.get(("check-ins", world.lookup_id(attempt.receipt)), {}).get(attempt.serial, [])
        if found != [self.expected(world, attempt)]:
            return [
                f"acknowledged check-in {attempt.serial}: {len(found)} stored copies, or other content than was sent"
            ]
        return []


@scanner
def scan_check_ins(world: World) -> Iterator[Stored | str]:
    """Every check-in, opened with its request's key as the team opens it (after scan_intake).

    Half-written shows up as a check-in that does not decrypt, one whose request scan_intake
    could not open, or a request whose check-ins and held audit entries disagree in number.
    """
    from refuge.intake.models import HelpRequest
    from refuge.keyring.records import decrypt_column
    from refuge.safety.audit_events import SafetyEvent
    from refuge.safety.models import CheckIn as CheckInRow

    rows = CheckInRow.objects.filter(organisation=world.organisation).select_related("key")
    lookups = dict(HelpRequest.objects.filter(organisation=world.organisation).values_list("pk", "lookup_id"))
    counts: Counter[Any] = Counter()
    for row in rows:
        counts[row.request_id] += 1
        where = f"check-in {row.pk}"
        cached = world.cache.get(("request", row.request_id))
        if cached is None:
            yield f"{where}: its request was not opened by the scan"
            continue
        try:
            body = json.loads(decrypt_column(row, "body", cached[0], row.key))
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"{where} does not open with its request's key: {type(error).__name__}"
            continue
        match = CHECK_IN_SERIAL.match(body.get("message", ""))
        if match is None:
            yield f"{where} carries no serial"
            continue
        content = {"request": lookups[row.request_id], "message": body["message"], "signal": body["signal"]}
        serials = world.cache.setdefault(("check-ins", content["request"]), {})
        serials.setdefault(match.group(1), []).append(content)
        yield Stored(match.group(1), "check-in", content, where)
    for request_id, count in counts.items():
        audited = world.audit_count(SafetyEvent.CHECK_IN_RECEIVED, request_id)
        if audited != count:
            yield f"request {request_id}: {count} check-ins but {audited} audit entries"
    stray = world.audited_objects(SafetyEvent.CHECK_IN_RECEIVED) - {str(pk) for pk in counts}
    if stray:
        yield f"{len(stray)} check-in audit entries name requests without a check-in"
