"""The audit pages (/audit/): the log without personal data, verification, the witness export, counts."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone

from refuge.audit import checks
from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from tests.personas import World
from tests.workspace.people_support import ADDRESS, ANSWERS, CITY, new_shelter, open_case

pytestmark = pytest.mark.django_db

CANARIES = ["CANARY", "Иван Петров", "+7 900 123 45 67", ANSWERS["document_number"], CITY, ADDRESS]


def _events(page: str) -> list[str]:
    """The event names of the log's rows (not the filter's choices)."""
    return re.findall(r"</code> ([A-Z_]+)</td>", page)


def _read_a_case(world: World, client: Client) -> str:
    """Alice opens a case with canaries in every field, so the log holds entries about it."""
    case = open_case(world)
    new_shelter(world)
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    return str(case.pk)


def test_the_log_shows_entries_about_a_case_but_nothing_of_what_it_says(world: World, client_for) -> None:
    case_id = _read_a_case(world, client_for(world.alice))
    page = client_for(world.audrey).get("/audit/").content.decode()
    assert case_id in page  # the entries are there, by id
    assert "CASE_READ" in page and "CASE_OPENED" in page
    assert ">alice<" in page  # who did it: a member of the organisation, by username
    for canary in CANARIES:
        assert canary not in page, canary


def test_the_log_is_newest_first_and_filtered_by_event_member_and_date(world: World, client_for) -> None:
    _read_a_case(world, client_for(world.alice))
    auditor = client_for(world.audrey)
    seqs = [
        int(s)
        for s in re.findall(r'<th scope="row" data-label="No.">(\d+)</th>', auditor.get("/audit/").content.decode())
    ]
    assert seqs == sorted(seqs, reverse=True) and seqs

    by_event = _events(auditor.get("/audit/", {"event": AuditEvent.CASE_READ.value}).content.decode())
    assert by_event and set(by_event) == {"CASE_READ"}
    by_member = _events(auditor.get("/audit/", {"member": str(world.ivan.user.pk)}).content.decode())
    assert "CASE_OPENED" in by_member and "CASE_READ" not in by_member  # Ivan accepted; Alice read
    today = timezone.localdate().isoformat()
    assert "CASE_READ" in _events(auditor.get("/audit/", {"since": today, "until": today}).content.decode())
    past = auditor.get("/audit/", {"since": "2001-01-01", "until": "2001-01-02"}).content.decode()
    assert "No entry of the log matches these filters." in past


def test_a_bad_date_range_is_answered_with_the_form(world: World, client_for) -> None:
    response = client_for(world.audrey).get("/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert response.status_code == 400
    assert "The end of the range comes before its start." in response.content.decode()
    assert client_for(world.audrey).get("/audit/", {"since": "yesterday"}).status_code == 400


def test_the_log_pages_older_entries(world: World, client_for) -> None:
    with transaction.atomic():
        for _ in range(60):
            record(AuditEvent.LOGIN_SUCCEEDED, actor_id=world.bob.user.pk, organisation_id=world.north.pk)
    auditor = client_for(world.audrey)
    first = auditor.get("/audit/").content.decode()
    older = re.search(r'href="\?before=(\d+)"', first)
    total = AuditEntry.objects.filter(organisation_id=world.north.pk).count()
    assert older is not None and total > 50
    second = auditor.get("/audit/", {"before": older.group(1)}).content.decode()
    shown = [int(seq) for seq in re.findall(r'data-label="No.">(\d+)</th>', second)]
    assert shown and max(shown) < int(older.group(1))


def test_another_organisations_entries_are_not_shown(world: World, client_for) -> None:
    client_for(world.charlie)  # Charlie of south logs in: an entry of south
    south = AuditEntry.objects.filter(organisation_id=world.south.pk).order_by("-seq").first()
    assert south is not None
    assert f">{south.seq}</th>" not in client_for(world.audrey).get("/audit/").content.decode()


def test_verifying_an_intact_log_says_ok_and_is_audited(world: World, client_for) -> None:
    page = client_for(world.audrey).post("/audit/verify/").content.decode()
    assert "OK: " in page and "entries and" in page
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None and last.code == AuditEvent.LOG_VERIFIED and last.actor_id == world.audrey.user.pk
    assert last.object_id == "ok"


def test_verifying_a_tampered_log_names_the_first_problem(world: World, client_for) -> None:
    auditor = client_for(world.audrey)
    entry = AuditEntry.objects.order_by("seq").first()
    assert entry is not None
    AuditEntry.objects.filter(seq=entry.seq).update(object_id="edited")  # an edit in place, as an attacker would
    page = auditor.post("/audit/verify/").content.decode()
    assert "FAILED: " in page
    assert f"entry {entry.seq} was changed after it was written" in page
    assert AuditEntry.objects.order_by("-seq").values_list("object_id", flat=True).first() == "failed"


def test_the_verify_page_shows_the_last_checkpoint(world: World, client_for) -> None:
    auditor = client_for(world.audrey)
    auditor.post("/audit/export/")  # signs one
    page = auditor.get("/audit/verify/").content.decode()
    assert "Last signed checkpoint" in page and "No checkpoint has been signed yet." not in page


def test_the_downloaded_export_is_the_one_the_command_writes(world: World, client_for) -> None:
    response = client_for(world.audrey).post("/audit/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    downloaded = response.content.decode().splitlines()
    out = io.StringIO()
    call_command("audit", "export", stdout=out, stderr=io.StringIO())
    written = out.getvalue().splitlines()

    def comparable(lines: list[str]) -> list[dict[str, object]]:
        # The key line carries the moment of export; everything else must be equal.
        return [{k: v for k, v in json.loads(line).items() if k != "exported_at"} for line in lines]

    assert comparable(downloaded) == comparable(written)
    assert len(downloaded) >= 2  # the key and at least the checkpoint it signed
    audited = AuditEntry.objects.filter(code=AuditEvent.WITNESS_EXPORTED, actor_id=world.audrey.user.pk)
    assert audited.count() == 1


def test_a_tampered_log_is_not_exported(world: World, client_for) -> None:
    auditor = client_for(world.audrey)
    AuditEntry.objects.filter(seq=AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()).update(
        object_id="edited"
    )
    response = auditor.post("/audit/export/")
    assert response.status_code == 400
    assert "does not verify since its last checkpoint" in response.content.decode()
    assert not AuditEntry.objects.filter(code=AuditEvent.WITNESS_EXPORTED).exists()


def test_statistics_count_each_event_per_month_and_nothing_per_person(world: World, client_for) -> None:
    _read_a_case(world, client_for(world.alice))
    page = client_for(world.audrey).get("/audit/statistics/").content.decode()
    month = timezone.now().strftime("%Y-%m")
    reads = AuditEntry.objects.filter(organisation_id=world.north.pk, code=AuditEvent.CASE_READ).count()
    assert re.search(rf"{month}</th>\s*<td[^>]*><code>501</code> CASE_READ</td>\s*<td[^>]*>{reads}</td>", page)
    for name in ("alice", "ivan", "bob"):
        assert f">{name}<" not in page


def test_coordinators_see_the_audit_pages_too(world: World, client_for) -> None:
    _read_a_case(world, client_for(world.alice))
    page = client_for(world.alice).get("/audit/").content.decode()
    assert "CASE_READ" in _events(page)


def test_the_audit_pages_speak_russian(world: World, client_for) -> None:
    auditor = client_for(world.audrey)
    assert "Журнал аудита" in auditor.get("/audit/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    verified = auditor.post("/audit/verify/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "OK: проверено записей" in verified
    assert "Статистика аудита" in auditor.get("/audit/statistics/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()


@pytest.mark.parametrize("before", ["9" * 40, "١٢", "-3", "x"])
def test_a_hostile_page_number_shows_the_newest_entries(world: World, client_for, before: str) -> None:
    response = client_for(world.audrey).get("/audit/", {"before": before})
    assert response.status_code == 200
    assert _events(response.content.decode())


def test_a_log_too_long_to_verify_in_a_request_is_refused_and_nothing_is_written(
    world: World, client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    auditor = client_for(world.audrey)
    monkeypatch.setattr(checks, "MAX_ENTRIES_IN_REQUEST", 3)
    before = AuditEntry.objects.count()
    response = auditor.post("/audit/verify/")
    assert response.status_code == 400
    assert "too many to verify while the page waits" in response.content.decode()
    assert AuditEntry.objects.count() == before
