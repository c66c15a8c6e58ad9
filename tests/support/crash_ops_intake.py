"""Crash-suite operations of the intake inbox: bulk decline, merge, attach (tests/support/crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operations and scanner register with the others.
Two more clients log in as intake members (made by crash_ops.set_up_cases, on the teams
of the first two cases) and work the inbox while the requesters write: each reads the list
of open requests, as a member does, and

- `bulk_decline`: ticks one or two requests and declines them with a message carrying
  the serial ("Decline c9-4: …"), POST /requests/decline/;
- `merge`: merges one request into another, POST /requests/<id>/merge/ with the other's
  reference;
- `attach`: attaches a request to one of its cases, POST /requests/<id>/attach/ with the
  case's reference.

Each is one transaction (refuge/intake/bulk.py, merge.py, refuge/cases/attach.py): after a
kill, a declined request has its decline message, its status and its audit entry, or none
of them, and so has every request of the same bulk decline; a merged request has its row
and an audit entry on both requests, or neither; an attached request has its row, its key
sealed to the case's team with intake's wrap gone, the status "Accepted", a timeline entry
and audit entries on the case and on itself, or none of it. The client acts on each request
at most once (`touched`, shared by the intake clients, even when the answer was lost), so every stored act belongs to
exactly one attempt. A merge or an attach carries no text of its own: the scanner ties its
row to the attempt that named its request (`serial_of`).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from tests.support.crash_ops import (
    Attempt,
    CrashClient,
    Operation,
    Stored,
    _free_step,
    _open_page,
    _post_staff,
    _words,
    register,
    scanner,
    staff_session,
)

if TYPE_CHECKING:
    from tests.support.crash_verify import World

DECLINE_SERIAL = re.compile(r"Decline (c\d+-\d+):")
# A row of the inbox's list (refuge/workspace/templates/workspace/intake/inbox_table.html).
INBOX_ROW = re.compile(r'<a class="intake-reference" href="/requests/([0-9a-f-]{36})/">(R-[0-9A-Z]+)</a>')
INBOX = "/requests/?show=list"
# The intake clients share `touched`: one picks at a time.
_PICKING = threading.Lock()


# How long an intake client leaves a dry inbox alone (it sends a request of its own meanwhile).
DRY_SECONDS = 0.5


def intake_ready(client: CrashClient) -> bool:
    account = client.staff
    return (
        client.intake
        and time.monotonic() >= client.dry_until
        and account is not None
        and (bool(account.csrf) or _free_step(account) is not None)
    )


class _IntakeAct(Operation):
    """An intake member's act on requests of the inbox."""

    intake = True
    # The keys of the payload a stored act must equal.
    compared: ClassVar[tuple[str, ...]]

    def ready(self, client: CrashClient) -> bool:
        return intake_ready(client)

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {key: attempt.payload.get(key) for key in self.compared}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        """As the team sees it: the scan found the act, and it is the one sent."""
        key = attempt.payload.get("request", attempt.serial)
        found = world.cache.get((self.stores, key))
        if found is None:
            return [f"acknowledged {self.name} {attempt.serial} is not stored"]
        if found != self.expected(world, attempt):
            return [f"acknowledged {self.name} {attempt.serial} is stored as {found}, not as it was sent"]
        return []

    def pick(self, client: CrashClient, attempt: Attempt, count: int) -> tuple[Any, list[tuple[str, str]]] | None:
        """The member's browser and `count` open requests no intake client has acted on; None if not.

        From the inbox as last read: only the intake clients change what it lists, and they skip
        what they touched, so it is read again only when it has too few."""
        browser = staff_session(client, attempt)
        if browser is None:
            return None
        if len(self._fresh(client)) < count:
            # The first page (most urgent, oldest); once the acts fill it, the last (Django's
            # paginator answers a page past the end with the last one).
            for path in (INBOX, INBOX + "&page=999999"):
                page = _open_page(client, attempt, browser, path)
                if page is None:
                    return None
                client.inbox = list(dict(INBOX_ROW.findall(page.text)).items())
                if len(self._fresh(client)) >= count:
                    break
        with _PICKING:
            fresh = self._fresh(client)
            if len(fresh) < count:
                attempt.detail = f"the inbox has {len(fresh)} requests to act on"
                client.dry_until = time.monotonic() + DRY_SECONDS
                return None
            chosen = client.rng.sample(fresh, count)
            # Acted on from now, whatever the answer: a request is never the subject of two acts.
            client.touched.update(request_id for request_id, _reference in chosen)
        return browser, chosen

    @staticmethod
    def _fresh(client: CrashClient) -> list[tuple[str, str]]:
        return [row for row in client.inbox if row[0] not in client.touched]


@register
class BulkDecline(_IntakeAct):
    """One or two requests of the inbox declined with one form and one message (the serial in it)."""

    name = "bulk_decline"
    weight = 0.3
    stores = "decline"
    compared = ("requests",)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        picked = self.pick(client, attempt, client.rng.randint(1, 2))
        if picked is None:
            return
        browser, chosen = picked
        ids = sorted(request_id for request_id, _reference in chosen)
        attempt.payload = {"requests": ids, "message": f"Decline {attempt.serial}: {_words(client.rng, 1, 20)}."}
        fields: dict[str, Any] = {
            "requests": ids,
            "message": attempt.payload["message"],
            "confirm": "on",
            "show": "list",
        }
        _post_staff(client, attempt, browser, "/requests/decline/", fields, "/requests/", multipart=True)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        found = world.cache.get((self.stores, attempt.serial))
        if found is None:
            return [f"acknowledged {self.name} {attempt.serial} declined none of its requests"]
        if found != self.expected(world, attempt):
            return [f"acknowledged {self.name} {attempt.serial} declined {found}, not {self.expected(world, attempt)}"]
        return []


@register
class MergeRequests(_IntakeAct):
    """One request merged into another, from the first one's page (its reference typed)."""

    name = "merge"
    weight = 0.3
    stores = "merge"
    compared = ("request", "into")

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        picked = self.pick(client, attempt, 2)
        if picked is None:
            return
        browser, [(request_id, _own), (into, reference)] = picked
        attempt.payload = {"request": request_id, "into": into}
        fields = {"reference": reference, "direction": "into_other"}
        path = f"/requests/{request_id}/"
        _post_staff(client, attempt, browser, path + "merge/", fields, path)


@register
class AttachRequest(_IntakeAct):
    """A request attached to a case whose team the member is on (the case's reference typed)."""

    name = "attach"
    weight = 0.3
    stores = "attach"
    compared = ("request", "case")

    def ready(self, client: CrashClient) -> bool:
        return super().ready(client) and bool(client.attach_to)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        picked = self.pick(client, attempt, 1)
        if picked is None:
            return
        browser, [(request_id, _reference)] = picked
        case, reference = client.rng.choice(client.attach_to)
        attempt.payload = {"request": request_id, "case": case}
        path = f"/requests/{request_id}/"
        _post_staff(client, attempt, browser, path + "attach/", {"case": reference}, path)


# --- checking side ----------------------------------------------------------------------------------


def serial_of(world: World, op: str, request_id: str) -> str:
    """The attempt of `op` that named this request (the client acts on a request at most once)."""
    named = [a for a in world.attempts if a.op == op and a.payload.get("request") == request_id]
    return named[-1].serial if named else f"? ({op} of request {request_id})"


@scanner
def scan_intake_acts(world: World) -> Iterator[Stored | str]:
    """Declines, merges and attaches, and that each request shows all of its act or none of it.

    After scan_intake, whose decrypted views (the team's messages among them) it reads.
    Half-written shows up as: a declined request without its decline message or with more
    than one, a decline message on a request not declined, an attached request not
    "Accepted" (or the reverse), a status change or a merge without its audit entries (or
    entries without them), a bulk decline without its entry. The timeline entry and audit
    entry on the case of each attach are counted by scan_cases.
    """
    from refuge.audit.events import AuditEvent
    from refuge.cases.models import Case
    from refuge.intake.models import HelpRequest, MergedRequest, RequesterStatus

    organisation = world.organisation
    in_cases = dict(
        Case.objects.filter(organisation=organisation, request__isnull=False).values_list("request_id", "pk")
    )
    rows = dict(MergedRequest.objects.filter(organisation=organisation).values_list("request_id", "into_id"))
    merges: dict[Any, int] = {}
    for request_id, into in rows.items():
        merges[request_id] = merges.get(request_id, 0) + 1
        merges[into] = merges.get(into, 0) + 1
    declines: dict[str, list[str]] = {}
    requests = HelpRequest.objects.filter(organisation=organisation).exclude(pk__in=list(in_cases))
    for request_id, reference, status in requests.values_list("pk", "reference", "status"):
        cached = world.cache.get(("request", request_id))
        if cached is None:
            continue  # it did not open: scan_intake said so
        where = f"request {reference}"
        serials = []
        for body in cached[1].replies:
            found = DECLINE_SERIAL.match(body)
            if found is None:
                yield f"{where}: a message from the team that no client sent"
            else:
                serials.append(found.group(1))
                declines.setdefault(found.group(1), []).append(str(request_id))
        declined, attached = status == RequesterStatus.DECLINED, rows.get(request_id) in in_cases
        if len(serials) != int(declined):
            yield f"{where}: status {status} with {len(serials)} decline messages"
        if attached != (status == RequesterStatus.ACCEPTED):
            yield f"{where}: status {status}, {'attached' if attached else 'not attached'} to a case"
        replied = world.audit_count(AuditEvent.REQUEST_REPLIED, request_id)
        if replied != len(cached[1].replies):
            yield f"{where}: {len(cached[1].replies)} messages from the team but {replied} 'replied' audit entries"
        changed = world.audit_count(AuditEvent.REQUEST_STATUS_CHANGED, request_id)
        if changed != int(declined or attached):
            yield f"{where}: status {status} but {changed} 'status changed' audit entries"
        merged = world.audit_count(AuditEvent.REQUEST_MERGED, request_id)
        if merged != merges.get(request_id, 0):
            yield f"{where}: in {merges.get(request_id, 0)} merges but {merged} 'request merged' audit entries"
    for request_id, into in rows.items():
        if into in in_cases:
            content = {"request": str(request_id), "case": str(in_cases[into])}
            world.cache[("attach", str(request_id))] = content
            yield Stored(serial_of(world, "attach", str(request_id)), "attach", content, f"attach of {request_id}")
        else:
            content = {"request": str(request_id), "into": str(into)}
            world.cache[("merge", str(request_id))] = content
            yield Stored(serial_of(world, "merge", str(request_id)), "merge", content, f"merge of {request_id}")
    for serial, ids in declines.items():
        content = {"requests": sorted(ids)}
        world.cache[("decline", serial)] = content
        yield Stored(serial, "decline", content, f"bulk decline {serial}")
    bulk = world.audit_count(AuditEvent.REQUESTS_BULK_DECLINED, organisation.pk)
    if bulk != len(declines):
        yield f"{len(declines)} bulk declines are stored but {bulk} 'bulk declined' audit entries"
