"""`refuge retention`: the commands docs/operations.md gives, with the demo organisation."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from refuge.cases.models import Case
from refuge.retention.models import LegalHold, RetentionRule
from tests.ops.backup_support import make_demo

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def test_rules_are_set_shown_and_removed() -> None:
    make_demo()
    assert "closed_case        kept" in _run("rules", "--org", "demo")
    assert _run("set", "--org", "demo", "closed_case", "365").strip() == "closed_case: 365 days"
    assert "closed_case        365 days" in _run("rules", "--org", "demo")
    _run("set", "--org", "demo", "closed_case", "none")
    assert not RetentionRule.objects.exists()
    with pytest.raises(CommandError, match="between 0 and 3653"):
        _run("set", "--org", "demo", "closed_case", "4000")
    with pytest.raises(CommandError, match="number of days"):
        _run("set", "--org", "demo", "closed_case", "soon")


def test_a_case_is_held_and_released_by_its_reference() -> None:
    demo = make_demo()
    _run("hold", "--org", "demo", demo.case.reference.lower())
    assert LegalHold.objects.get().case_id == demo.case.pk
    _run("release", "--org", "demo", demo.case.reference)
    assert not LegalHold.objects.exists()
    with pytest.raises(CommandError, match="no case or request"):
        _run("hold", "--org", "demo", "C-NOSUCH")


def test_plan_and_run_say_what_they_do_in_counts() -> None:
    make_demo()
    _run("set", "--org", "demo", "unused_receipt", "0")
    plan = _run("plan", "--org", "demo")
    assert plan.strip().endswith("records due within 30 days") and "unused_receipt" in plan
    result = _run("run")
    assert result.startswith("shredded ") and "unused_receipt" in result
    assert Case.objects.count() == 2  # requests in cases are not "unused"
