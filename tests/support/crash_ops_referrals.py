"""Crash-suite operation of the receiving side: a packet imported as a case (crash_ops.py, "Adding an operation").

Imported at the end of crash_ops.py, so its operation and scanner register with the others.
The packets go to a partner that is another Refuge installation; here, an organisation of the
same one, `receive` (made by the set-up: crash_ops_disclosures.set_up_receiving), whose age
identity is the partner's. Its coordinator is a client of its own:

- `referral_import`: a packet the crash organisation's coordinator downloaded (as the partner
  does, `packet_download`) is uploaded with the organisation's age key file through the
  workspace's form (POST /referrals/import/, multipart), as `refuge import-referral` takes
  them. Acknowledged by the redirect to the new case. The import writes, in one transaction,
  the case and its key, its team (the coordinator), the people with their compartments (each
  under its own key), the documents, the `ImportedReferral` row that refuses a replay, and one
  "referral imported" audit entry (3200). The client reads the packet it sends (age, then
  packet.json) for what the case must hold: the purpose, the fields, the documents' names.

After every kill, `scan_referrals` opens every case of `receive` with its coordinator's keys
(cross-checked with its recovery key): each case has exactly one `ImportedReferral` row and one
3200 audit entry, no row or entry names a case that is not there; its summary is the provenance
naming the packet its row names, with the packet's purpose; its people's compartments hold the
packet's fields; its documents decrypt whole. Each is tied to the one import attempt that sent
that packet, and must equal what the packet said.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tests.support.crash_ops import (
    Attempt,
    CrashClient,
    Stored,
    _free_step,
    _notice_logout,
    _where_to,
    register,
    scanner,
    staff_session,
)
from tests.support.crash_ops_disclosures import RECEIVING_ORG, ChainedAct, packet_json_of, sent_for_packet
from tests.support.http import Response

if TYPE_CHECKING:
    from tests.support.crash_verify import World

IMPORTED = 3200
PAGE = "/referrals/import/"
# How long the client waits when no packet has been downloaded for it to import.
IDLE_SECONDS = 0.5


def packet_says(sealed: bytes, identity: str) -> dict[str, Any]:
    """What a case imported from this packet must hold, read from it as its recipient reads it."""
    data = packet_json_of(sealed, identity)
    return {
        "packet": data["packet"],
        "purpose": data["purpose"],
        "fields": [{f["name"]: f["value"] for f in person["fields"]} for person in data["people"]],
        "documents": sorted(document["name"] for document in data["documents"]),
    }


@register
class ImportReferral(ChainedAct):
    """A downloaded packet imported as a new case of the receiving organisation (an act done once per packet)."""

    name = "referral_import"
    stores = "referral"

    def ready(self, client: CrashClient) -> bool:
        account = client.staff
        return (
            client.org_slug == RECEIVING_ORG
            and account is not None
            and (bool(account.csrf) or _free_step(account) is not None)
            and any(packet not in client.touched for packet, _file in client.delivered)
        )

    def perform(self, client: CrashClient, attempt: Attempt) -> None:
        waiting = [(p, f) for p, f in client.delivered if p not in client.touched]
        if not waiting:
            # Nothing downloaded yet (or logged out: choose_operation's fallback): wait, as a person would.
            attempt.detail = "no packet to import"
            time.sleep(IDLE_SECONDS)
            return
        packet, sealed = client.rng.choice(waiting)
        attempt.payload = packet_says(sealed, client.identity)
        browser = staff_session(client, attempt)
        if browser is None:
            return
        assert client.staff is not None
        client.touched.add(packet)
        key_file = f"# created: by the crash suite\n# public key: (the partner's)\n{client.identity}\n".encode()
        files = [("packet", "packet.zip.age", sealed), ("key_file", "key.txt", key_file)]
        answers: list[Response] = []

        def call() -> Response:
            answers.append(browser.post_multipart(PAGE, {"csrfmiddlewaretoken": client.staff.csrf}, files))
            return answers[-1]

        attempt.send(call, lambda r: r.status == 302 and _where_to(r).startswith("/cases/"))
        if answers:
            _notice_logout(client, answers[-1])

    def expected(self, world: World, attempt: Attempt) -> dict[str, Any]:
        return dict(attempt.payload)

    def check_acknowledged(self, world: World, attempt: Attempt) -> list[str]:
        return []  # the imported case is a stored write, tied to the attempt that sent its packet


def _receiving_world(world: World, spec: dict[str, Any]) -> World:
    from tests.support.crash_verify import World

    cached = world.cache.get(("receiving world", spec["org"]))
    if cached is None:
        # The command's organisation has no login of its own: its coordinator's password is the same.
        cached = World(spec["org"], spec["username"], world.password, spec["shares"])
        world.cache[("receiving world", spec["org"])] = cached
    return cached  # type: ignore[no-any-return]


@scanner
def scan_referrals(world: World) -> Iterator[Stored | str]:
    """Every case of the receiving organisation: imported whole, once, from a packet an upload sent."""
    if world.receiving:
        yield from scan_imported(world, world.receiving, ImportReferral.name)


def scan_imported(world: World, spec: dict[str, Any], op: str) -> Iterator[Stored | str]:
    """Every case of an organisation that imports: imported whole, once, from a packet an attempt of `op` sent."""
    from refuge.cases.models import Case, Compartment, TeamMember
    from refuge.disclosures.models import ImportedReferral
    from refuge.keyring.models import HolderKind

    receiving = _receiving_world(world, spec)
    org = spec["org"]
    cases = {case.pk: case for case in Case.objects.filter(organisation=receiving.organisation).select_related("key")}
    rows = list(ImportedReferral.objects.filter(organisation=receiving.organisation))
    by_case = {row.case_id: row for row in rows}
    if len(by_case) != len(rows) or set(by_case) != set(cases):
        yield f"{org}: {len(cases)} cases, {len(rows)} imported referrals, not one for each"
    missing = receiving.audited_objects(IMPORTED) - {str(pk) for pk in cases}
    if missing:
        yield f"{org}: {len(missing)} 'referral imported' audit entries name cases that are not stored"
    compartments: dict[Any, list[Compartment]] = {}
    for compartment in Compartment.objects.filter(person__case__in=list(cases)).select_related("key", "person"):
        compartments.setdefault(compartment.person.case_id, []).append(compartment)
    keys = [case.key_id for case in cases.values()] + [c.key_id for found in compartments.values() for c in found]
    wraps = receiving.wraps_of(keys)
    teams: dict[Any, set[Any]] = {}
    for case_id, user_id in TeamMember.objects.filter(case_id__in=list(cases)).values_list("case_id", "user_id"):
        teams.setdefault(case_id, set()).add(user_id)
    holders: set[str] = {HolderKind.USER, HolderKind.RECOVERY}
    for case_id, row in by_case.items():
        case = cases.get(case_id)
        if case is None:
            continue
        where = f"{org} case {case.reference}"
        if receiving.audit_count(IMPORTED, case.pk) != 1:
            yield f"{where}: {receiving.audit_count(IMPORTED, case.pk)} 'referral imported' audit entries"
        try:
            secret = receiving.team_secret(case.key, holders, wraps.get(case.key_id, []), teams.get(case.pk, set()))
            found = _imported(receiving, case, secret, compartments.get(case.pk, []), wraps, holders)
        except Exception as error:  # noqa: BLE001 - whatever fails to open is reported, and the scan goes on
            yield f"{where} does not open with its coordinator's key: {type(error).__name__}: {error}"
            continue
        packet = str(row.packet_id)
        if f"(packet {packet})" not in found.pop("summary"):
            yield f"{where}: its summary does not name the packet {packet} its import row names"
        sent = sent_for_packet(world, op, packet)
        if len(sent) != 1:
            yield f"{where}: imported from packet {packet}, which {len(sent)} imports sent"
            continue
        yield Stored(sent[0].serial, ImportReferral.stores, {"packet": packet, **found}, where)


def _imported(
    receiving: World, case: Any, secret: bytes, compartments: list[Any], wraps: dict[Any, list[Any]], holders: set[str]
) -> dict[str, Any]:
    """What an imported case holds, decrypted: the purpose its summary names, the people's fields, the documents."""
    from refuge.cases.models import CaseDocument, Person
    from refuge.cases.queries import read_summary
    from refuge.keyring.files import decrypt_file_content
    from refuge.keyring.records import decrypt_column, decrypt_text

    summary = str(read_summary(case, secret))
    # In the packet's order: the requester first (referrals.do_import_referral), then the others.
    people = sorted(Person.objects.filter(case=case).order_by("id"), key=lambda person: person.role != "requester")
    fields = []
    for person in people:
        values: dict[str, str] = {}
        for compartment in [c for c in compartments if c.person_id == person.pk]:
            opened = receiving.team_secret(compartment.key, holders, wraps.get(compartment.key_id, []))
            content = json.loads(decrypt_text(compartment, "content", opened, compartment.key))
            values |= {f"{compartment.kind}.{name}": value for name, value in content.items()}
        fields.append(values)
    documents = []
    for document in CaseDocument.objects.filter(case=case).select_related("key"):
        decrypt_file_content(document, secret, document.key)  # whole: secretstream catches truncation
        documents.append(decrypt_column(document, "name", secret, document.key).decode("utf-8"))
    purpose = next((p for p in _purposes(summary)), "")
    return {"summary": summary, "purpose": purpose, "fields": fields, "documents": sorted(documents)}


def _purposes(summary: str) -> Iterator[str]:
    """The purpose inside the provenance note ("… for: <purpose> (packet <id>)."), as the sender wrote it."""
    start, end = summary.find(" for: "), summary.rfind(" (packet ")
    if start != -1 and end > start:
        yield summary[start + len(" for: ") : end]
