"""Crash-suite operations of disclosures after preparing (crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operations and scanner register with the others.
The crash organisation's own coordinator (`coord`, on every case's team) is a client of its
own: it approves the packets the caseworkers prepared (`packet`, crash_ops.py) and downloads
the ones it approved, while the server is killed:

- `packet_approve`: a packet the register of disclosures lists, consented (the caseworker
  records the consent right after preparing it: `packet`, crash_ops.py; a write not in the
  ledger, which the scan checks whole), is approved: POST /disclosures/<id>/approve/ with a
  download limit of 1 to 3. Acknowledged by the page that shows the link once. Approval writes, in one
  transaction, the produced file (the support letter's PDF inside it), the token's digest,
  the expiry, the limit, the letter's wording in the content, and one "approved" audit entry.
- `packet_download`: the partner's download through a link the coordinator was shown
  (POST /r/packet/<token>/), counted against the limit by one conditional UPDATE with its
  audit entry. Acknowledged by the file; refused (404) once the limit is used up.

After every kill, `scan_disclosure_states` requires of every packet: approved exactly when it
has one "approved" audit entry (3103), and then its file, link digest, expiry and limit set;
consent recorded exactly when it has a "consent recorded" entry (3102); its downloads
never above its limit and equal to its download and file audit entries (3104, 3109). An
acknowledged approval is stored with the limit it sent; an acknowledged download is counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tests.support.crash_ops import (
    ACKED,
    REFUSED,
    TRANSPORT_ERRORS,
    UNSENT,
    Attempt,
    CrashClient,
    Operation,
    Stored,
    _free_step,
    _notice_logout,
    _open_page,
    register,
    scanner,
    staff_session,
)

if TYPE_CHECKING:
    from tests.support.crash_verify import World

CRASH_ORG = "crash"
CONSENTED, APPROVED, DOWNLOADED, TAKEN_AS_FILE = 3102, 3103, 3104, 3109
UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The link shown once after approval; its path (the partner's download page, /r/packet/<token>/).
LINK = re.compile(r'<code id="packet-link">https?://[^/<]+(/[^<]*packet/[A-Za-z0-9_-]+/)</code>')


def disclosing_coordinator(client: CrashClient) -> bool:
    """The crash organisation's coordinator client, logged in or able to log in."""
    account = client.staff
    return (
        client.coordinator
        and client.org_slug == CRASH_ORG
        and account is not None
        and (bool(account.csrf) or _free_step(account) is not None)
    )


@register
class ApprovePacket(Operation):
    """A consented packet of a case approved and produced by the organisation's coordinator."""

    name = "packet_approve"
    coordinator = True
    weight = 1.0
    stores = "packet-approval"

    def ready(self, client: CrashClient) -> bool:
        return disclosing_coordinator(client) and bool(client.cases)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        browser = staff_session(client, attempt)
        if browser is None:
            return
        register_page = _open_page(client, attempt, browser, "/disclosures/")
        if register_page is None:
            return
        untried = sorted(set(re.findall(rf'href="/disclosures/({UUID})/"', register_page.text)) - client.touched)
        if not untried:
            attempt.detail = "no packet to approve"
            return
        packet = client.rng.choice(untried)
        review = _open_page(client, attempt, browser, f"/disclosures/{packet}/")
        if review is None:
            return
        approve = f"/disclosures/{packet}/approve/"
        if f'action="{approve}"' not in review.text:
            if f'action="/disclosures/{packet}/file/"' in review.text:
                client.touched.add(packet)  # approved already (an unknown attempt's)
            # Else no consent recorded yet (the caseworker's may still come, or was lost to a kill).
            attempt.detail = "no approval form"
            return
        client.touched.add(packet)
        limit = client.rng.randint(1, 3)
        attempt.payload = {"packet": packet, "limit": limit}
        fields = {"csrfmiddlewaretoken": review.csrf_token(), "expires_in_days": "7", "download_limit": str(limit)}
        answers = []

        def call() -> Any:
            answers.append(browser.request("POST", approve, fields))
            return answers[-1]

        done = attempt.send(call, lambda r: r.status == 200 and LINK.search(r.text) is not None)
        if answers:
            _notice_logout(client, answers[-1])
        if done is not None:
            link = LINK.search(done.text)
            assert link is not None
            client.links.append((packet, link.group(1)))

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return dict(attempt.payload)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        return []  # the stored approval is compared with the payload


@register
class DownloadPacket(Operation):
    """An approved packet downloaded through its link, as the partner does (POST /r/packet/<token>/)."""

    name = "packet_download"
    coordinator = True
    weight = 1.0
    stores = "packet-download"
    # No row of its own to carry a serial: checked by the count the scan found (check_acknowledged).
    overwrites = True

    def ready(self, client: CrashClient) -> bool:
        return disclosing_coordinator(client) and bool(client.links)

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        packet, path = client.rng.choice(client.links)
        attempt.payload = {"packet": packet}
        browser = client.http()
        try:
            page = browser.get(path)  # the page with the download button: nothing counted
        except TRANSPORT_ERRORS as error:
            attempt.detail = f"page: {type(error).__name__}"
            return
        if page.status != 200:
            client.links.remove((packet, path))  # used up (or expired): the limit holds
            attempt.detail = f"page: HTTP {page.status}"
            return
        token = page.csrf_token()
        answer = attempt.send(
            lambda: browser.request("POST", path, {"csrfmiddlewaretoken": token}),
            lambda r: r.status == 200 and r.headers.get("content-type", "").startswith("application/octet-stream"),
        )
        if answer is None and attempt.status == REFUSED:
            client.links.remove((packet, path))  # used up: the limit holds

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return {}

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        packet = attempt.payload["packet"]
        acknowledged = sum(
            1 for a in world.attempts if a.op == self.name and a.status == ACKED and a.payload.get("packet") == packet
        )
        counted = world.cache.get(("packet downloads", packet), 0)
        if counted < acknowledged:
            return [f"packet {packet}: {acknowledged} downloads acknowledged, {counted} counted"]
        return []


@scanner
def scan_disclosure_states(world: World) -> Iterator[Stored | str]:
    """Every packet's approval, consent and downloads whole (see the module docstring)."""
    from refuge.disclosures.models import Packet

    rows = Packet.objects.filter(organisation=world.organisation).values_list(
        "pk", "consent_recorded", "approved_by_id", "produced", "token_digest", "expires_at", "download_limit",
        "downloads", "acknowledgement_digest",
    )  # fmt: skip
    for pk, consented, approver, produced, digest, expires, limit, downloads, acknowledgement in rows:
        packet, where = str(pk), f"packet {pk}"
        # Consent may be recorded again (a retry after a lost answer): one entry or more.
        if consented != (world.audit_count(CONSENTED, packet) >= 1):
            yield f"{where}: consent recorded {consented}, {world.audit_count(CONSENTED, packet)} consent audit entries"
        approvals = world.audit_count(APPROVED, packet)
        if (approver is not None) != (approvals == 1) or approvals > 1:
            yield f"{where}: approved {approver is not None}, {approvals} approval audit entries"
        taken = world.audit_count(DOWNLOADED, packet) + world.audit_count(TAKEN_AS_FILE, packet)
        world.cache[("packet downloads", packet)] = downloads
        if downloads > limit or downloads != taken:
            yield f"{where}: {downloads} downloads of {limit} allowed, {taken} download audit entries"
        if approver is None:
            if produced or digest or expires or limit:
                yield f"{where}: not approved, yet with a file, a link, an expiry or a limit"
            continue
        if not produced or not digest or expires is None or not 1 <= limit <= 3 or not acknowledgement:
            yield f"{where}: approved without its file, link, expiry, limit or receipt code"
        approving = [a for a in world.attempts if a.op == ApprovePacket.name and a.payload.get("packet") == packet]
        sent = [a for a in approving if a.status not in (UNSENT, REFUSED)] or approving
        if not sent:
            yield f"{where}: approved, but no approval of it was sent"
            continue
        yield Stored(sent[-1].serial, ApprovePacket.stores, {"packet": packet, "limit": limit}, where)
