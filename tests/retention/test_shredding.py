"""Retention with a controllable clock: exactly the due records are crypto-shredded, legal holds are kept.

`shred_due(today=...)` is the daily job with its date given: the tests move the clock
forward instead of backdating rows, so every row is written by the real actions.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from refuge.accounts.models import Organisation
from refuge.audit.models import AuditEntry
from refuge.audit.verify import verify_chain
from refuge.cases.actions.details import do_change_stage
from refuge.cases.models import Case, CaseDocument, CaseIndex, ClosingReason, Compartment, Person, Stage
from refuge.core.errors import UserError
from refuge.core.jobs import _registry
from refuge.intake.models import HelpRequest, RequesterStatus, RequestIndex
from refuge.keyring.models import Key, KeyWrap
from refuge.keyring.registry import registrations
from refuge.ops.backup.tables import backed_up_tables, encode_row, iter_rows
from refuge.retention.actions import do_lift_legal_hold, do_set_legal_hold, do_set_rule, shred_due
from refuge.retention.audit_events import OperationsEvent
from refuge.retention.models import LegalHold, Subject
from refuge.retention.queries import due_items
from tests.ops.backup_support import Demo, make_demo, plaintexts

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = timezone.localdate()


def _day(days: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=days)


def _close(demo: Demo, case: Case) -> None:
    case.refresh_from_db()
    do_change_stage(
        actor=demo.keyring.user,  # type: ignore[arg-type]
        keyring=demo.keyring,
        case=case,
        stage=Stage.CLOSED,
        version=case.version,
        closing_reason=ClosingReason.WITHDREW,  # relocated needs an arrival recorded first
    )


def _keys_of_case(case: Case) -> set[uuid.UUID]:
    keys = {case.key_id}
    keys.update(Person.objects.filter(case=case).values_list("key_id", flat=True))
    keys.update(Compartment.objects.filter(person__case=case).values_list("key_id", flat=True))
    if case.request_id is not None:
        keys.add(HelpRequest.objects.get(pk=case.request_id).key_id)
    return keys


def _rows_of_case(case: Case) -> set[tuple[str, str]]:
    """(model label, pk) of every encrypted row of the case and of the request it came from."""
    return {(row._meta.label, str(row.pk)) for row in _encrypted_rows(case)}


def _encrypted_rows(case: Case) -> list[Any]:
    found = []
    for registration in registrations():
        model = registration.model
        names = {field.name for field in model._meta.get_fields()}
        if model is Case:
            rows = model._default_manager.filter(pk=case.pk)
        elif model is HelpRequest:
            rows = model._default_manager.filter(pk=case.request_id)
        elif model is Compartment:
            rows = model._default_manager.filter(person__case=case)
        elif "case" in names:
            rows = model._default_manager.filter(case=case)
        elif "request" in names:
            rows = model._default_manager.filter(request_id=case.request_id)
        else:
            continue
        found.extend(rows)
    return found


def _stored_blobs(case: Case) -> list[bytes]:
    """Every ciphertext and blind index stored for the case and its request, as a seizure would find them."""
    blobs: list[bytes] = []
    for row in _encrypted_rows(case):
        registration = next(r for r in registrations() if r.model is type(row))
        for column in (*registration.columns, *registration.sealed, "data"):
            value = getattr(row, column, None)
            if value:
                blobs.append(bytes(value))
    # A blind index another request shares (the same name typed twice) is that request's too.
    own = set(CaseIndex.objects.filter(case=case).values_list("digest", flat=True))
    own |= set(RequestIndex.objects.filter(request_id=case.request_id).values_list("digest", flat=True))
    shared = set(CaseIndex.objects.exclude(case=case).values_list("digest", flat=True))
    shared |= set(RequestIndex.objects.exclude(request_id=case.request_id).values_list("digest", flat=True))
    blobs += [digest.encode() for digest in own - shared]
    blobs += [
        bytes(w) for w in KeyWrap.objects.filter(key_id__in=_keys_of_case(case)).values_list("wrapped", flat=True)
    ]
    return [blob for blob in blobs if len(blob) >= 16]


def _seized() -> bytes:
    """Everything a seizure of the database finds: every row, and on SQLite the files themselves."""
    parts = [encode_row(table, values) for table in backed_up_tables() for values in iter_rows(table)]
    if connection.vendor == "sqlite":
        path = connection.settings_dict["NAME"]
        for suffix in ("", "-wal"):
            try:
                with open(path + suffix, "rb") as handle:
                    parts.append(handle.read())
            except FileNotFoundError:
                pass
    return b"".join(parts)


@pytest.fixture
def demo() -> Demo:
    return make_demo()


def test_a_closed_case_is_shredded_on_its_day_and_not_before(demo: Demo) -> None:
    organisation = demo.case.organisation
    other = Case.objects.exclude(pk=demo.case.pk).get(organisation=organisation, team__user=demo.keyring.user)
    do_set_rule(actor=None, organisation=organisation, subject=Subject.CLOSED_CASE, days=30)
    _close(demo, demo.case)
    keys = _keys_of_case(demo.case)
    blobs = _stored_blobs(demo.case)
    assert len(blobs) > 10
    doomed = _rows_of_case(demo.case)
    kept = {k: v for k, v in plaintexts(demo.recovery_key).items() if (k[0], k[1]) not in doomed}

    assert shred_due(today=_day(29)).by_subject == {}
    assert Case.objects.filter(pk=demo.case.pk).exists()

    report = shred_due(today=_day(30))

    assert report.by_subject == {Subject.CLOSED_CASE: 1} and report.keys == len(keys)
    assert not Case.objects.filter(pk=demo.case.pk).exists()
    assert not HelpRequest.objects.filter(pk=demo.case.request_id).exists()
    assert not CaseDocument.objects.filter(case_id=demo.case.pk).exists()
    assert not CaseIndex.objects.filter(case_id=demo.case.pk).exists()
    assert not Key.objects.filter(pk__in=keys).exists()
    assert not KeyWrap.objects.filter(key_id__in=keys).exists()
    # A seizure after the job finds none of it: no ciphertext, no index, no wrap.
    seized = _seized()
    assert [blob[:16].hex() for blob in blobs if blob in seized] == []
    # The rest of the organisation still opens, identically.
    assert plaintexts(demo.recovery_key) == kept
    assert Case.objects.filter(pk=other.pk).exists()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.code == OperationsEvent.SHREDDED
    assert (entry.object_type, entry.object_id) == ("case", str(demo.case.pk))
    assert verify_chain().ok
    # Run again the same day (a runner that died mid-job): nothing more.
    assert shred_due(today=_day(30)).by_subject == {}


def test_a_case_on_legal_hold_is_kept_until_the_hold_is_lifted(demo: Demo) -> None:
    organisation = demo.case.organisation
    do_set_rule(actor=None, organisation=organisation, subject=Subject.CLOSED_CASE, days=30)
    _close(demo, demo.case)
    do_set_legal_hold(actor=None, record_=demo.case, today=TODAY)
    assert shred_due(today=_day(400)).by_subject == {}
    assert due_items(organisation, today=_day(400)) == []
    assert Case.objects.filter(pk=demo.case.pk).exists()
    do_lift_legal_hold(actor=None, record_=demo.case)
    assert shred_due(today=_day(400)).by_subject == {Subject.CLOSED_CASE: 1}


def test_a_hold_on_a_request_shredded_meanwhile_is_refused_and_writes_nothing(demo: Demo) -> None:
    # The page read the request; the retention job shredded it before the hold's transaction.
    organisation = demo.case.organisation
    request = HelpRequest.objects.filter(organisation=organisation, case__isnull=True).order_by("reference").first()
    assert request is not None
    HelpRequest.objects.filter(pk=request.pk).update(status=RequesterStatus.DECLINED)
    do_set_rule(actor=None, organisation=organisation, subject=Subject.DECLINED_REQUEST, days=10)
    assert shred_due(today=request.last_activity_at.date() + datetime.timedelta(days=10)).by_subject == {
        Subject.DECLINED_REQUEST: 1
    }
    last_entry = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    with pytest.raises(UserError) as refused:
        do_set_legal_hold(actor=None, record_=request, today=TODAY)
    assert refused.value.code == "gone"
    assert not LegalHold.objects.exists()
    assert AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first() == last_entry
    assert verify_chain().ok


def test_evidence_goes_before_its_case(demo: Demo) -> None:
    organisation = demo.case.organisation
    do_set_rule(actor=None, organisation=organisation, subject=Subject.CLOSED_CASE, days=365)
    do_set_rule(actor=None, organisation=organisation, subject=Subject.EVIDENCE, days=7)
    _close(demo, demo.case)
    assert shred_due(today=_day(7)).by_subject == {Subject.EVIDENCE: 2}
    assert not CaseDocument.objects.filter(case_id=demo.case.pk).exists()
    assert Case.objects.filter(pk=demo.case.pk).exists()
    # The case key is not destroyed with the documents: the case itself still opens.
    assert (("cases.Case", str(demo.case.pk), "summary") in plaintexts(demo.recovery_key)) is True


def test_declined_and_untouched_requests_that_never_became_cases_are_shredded(demo: Demo) -> None:
    organisation = demo.case.organisation
    free = list(HelpRequest.objects.filter(organisation=organisation, case__isnull=True).order_by("reference"))
    in_cases = set(
        HelpRequest.objects.filter(organisation=organisation, case__isnull=False).values_list("id", flat=True)
    )
    assert len(free) >= 2 and in_cases
    HelpRequest.objects.filter(pk=free[0].pk).update(status=RequesterStatus.DECLINED)
    do_set_rule(actor=None, organisation=organisation, subject=Subject.DECLINED_REQUEST, days=10)
    last = max(request.last_activity_at.date() for request in free)
    assert shred_due(today=last + datetime.timedelta(days=10)).by_subject == {Subject.DECLINED_REQUEST: 1}
    assert not HelpRequest.objects.filter(pk=free[0].pk).exists()
    do_set_rule(actor=None, organisation=organisation, subject=Subject.UNUSED_RECEIPT, days=90)
    assert shred_due(today=last + datetime.timedelta(days=89)).by_subject == {}
    assert shred_due(today=last + datetime.timedelta(days=90)).by_subject == {Subject.UNUSED_RECEIPT: len(free) - 1}
    # Requests that became cases stay with their cases.
    assert set(HelpRequest.objects.filter(organisation=organisation).values_list("id", flat=True)) == in_cases


def test_the_plan_lists_what_the_next_30_days_will_shred_with_its_date(demo: Demo) -> None:
    organisation = demo.case.organisation
    do_set_rule(actor=None, organisation=organisation, subject=Subject.CLOSED_CASE, days=45)
    _close(demo, demo.case)
    assert due_items(organisation, today=TODAY, within_days=30) == []
    plan = due_items(organisation, today=_day(20), within_days=30)
    assert [(item.kind, item.reference, item.due_on) for item in plan] == [("case", demo.case.reference, _day(45))]
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_no_rule_keeps_everything_and_the_job_runs_daily() -> None:
    make_demo()
    cases = Case.objects.count()
    assert shred_due(today=_day(10_000)).summary() == "shredded nothing; 0 keys destroyed"
    assert Case.objects.count() == cases
    assert _registry["retention"].interval() == 24 * 60 * 60
