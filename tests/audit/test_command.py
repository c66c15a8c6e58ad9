"""`refuge audit verify | checkpoint | export | flush`: output and exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from refuge.audit.management.commands.audit import Command
from refuge.audit.models import AuditCheckpoint, AuditEntry
from tests.audit.conftest import Append
from tests.audit.helpers import rechain

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def run_failing(*args: str) -> tuple[str, CommandError]:
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue(), error.value


def test_verify_says_ok_with_counts(append: Append) -> None:
    append(4)
    run("checkpoint")

    assert run("verify") == "OK: 4 entries, 1 checkpoints verified\n"


def test_verify_exits_1_and_lists_each_problem_by_seq(append: Append) -> None:
    append(5)
    AuditEntry.objects.filter(seq=2).update(object_type="case")
    AuditEntry.objects.filter(seq=4).delete()

    out, error = run_failing("verify")

    assert error.returncode == 1
    assert out.splitlines() == [
        "seq 2: entry 2 was changed after it was written: its contents do not match its hash",
        "seq 4: entry 4 is missing: deleted from the log",
        "FAILED: 2 problems in 4 entries, 0 checkpoints",
    ]


def test_checkpoint_signs_the_head(append: Append) -> None:
    append(2)

    out = run("checkpoint")

    assert out.startswith("Checkpoint at entry 2: hash ")
    assert AuditCheckpoint.objects.get().seq == 2


def test_checkpoint_on_an_empty_log_explains_itself() -> None:
    _out, error = run_failing("checkpoint")

    assert "empty" in str(error)


def test_export_signs_the_head_and_writes_json_lines(append: Append) -> None:
    append(3)

    lines = run("export").splitlines()

    assert [json.loads(line)["kind"] for line in lines] == ["key", "checkpoint"]
    assert json.loads(lines[1])["seq"] == 3


def test_export_refuses_a_log_that_does_not_verify(append: Append) -> None:
    append(3)
    AuditEntry.objects.filter(seq=2).update(code=101)

    out, error = run_failing("export")

    assert out == ""
    assert "Nothing was exported" in str(error)


def test_verify_against_a_witness_file_detects_a_rewritten_log(append: Append, tmp_path: Path) -> None:
    witness = tmp_path / "witness.jsonl"
    append(3)
    run("export", "--output", str(witness))
    assert run("verify", "--witness", str(witness)) == "OK: 3 entries, 1 checkpoints, 1 witness checkpoints verified\n"

    rechain(edit_seq=2)
    AuditCheckpoint.objects.all().delete()
    run("checkpoint")
    assert run("verify").startswith("OK")

    out, error = run_failing("verify", "--witness", str(witness))

    assert error.returncode == 1
    assert out.splitlines()[0] == (
        "seq 3: entry 3 differs from what the witness recorded: the log was rewritten at or before entry 3"
    )


def test_verify_with_a_missing_witness_file_fails_clearly(tmp_path: Path) -> None:
    _out, error = run_failing("verify", "--witness", str(tmp_path / "nope.jsonl"))

    assert "cannot read the witness file" in str(error)


def test_help_lists_the_four_actions_and_the_witness_option(capsys: pytest.CaptureFixture[str]) -> None:
    parser = Command().create_parser("refuge", "audit")
    assert "{verify,checkpoint,export,flush}" in parser.format_help()

    with pytest.raises(SystemExit):
        parser.parse_args(["verify", "--help"])

    assert "--witness FILE" in capsys.readouterr().out
