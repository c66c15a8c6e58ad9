"""`refuge pathways import | export`: a good file is loaded, a bad one is refused whole with its lines."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from refuge.audit.models import AuditEntry
from refuge.relocation.audit_events import RelocationEvent
from refuge.relocation.models import Pathway

pytestmark = pytest.mark.django_db
SHARED = Path(__file__).resolve().parents[2] / "refuge" / "relocation" / "data" / "pathways.csv"


def _import(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("pathways", "import", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _refused(path: Path) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("pathways", "import", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def _snapshot() -> list[tuple[object, ...]]:
    return list(Pathway.objects.order_by("code").values_list())


def _rows() -> list[dict[str, str]]:
    with SHARED.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or list(rows[0]), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_shipped_catalogue_imports_on_a_fresh_installation_and_changes_nothing() -> None:
    before = _snapshot()
    out, err = _import(SHARED)
    assert "0 added, 0 changed, 15 unchanged" in out
    assert err == ""
    assert _snapshot() == before
    assert AuditEntry.objects.filter(code=RelocationEvent.CATALOGUE_IMPORTED).count() == 1


def test_a_new_row_is_added_with_requirements_read_from_its_words(tmp_path: Path) -> None:
    rows = _rows()
    rows.append(
        {**rows[0], "country": "Iceland", "pathway_name": "Humanitarian visa (test)", "in_country_eligible": "no"}
    )
    out, _ = _import(_write(tmp_path / "new.csv", rows))
    assert "1 added, 0 changed, 15 unchanged" in out
    added = Pathway.objects.get(country="Iceland")
    assert added.organisation_id is None
    # "no" in in_country_eligible, "Referral" in who_applies, "visa" in the name.
    assert added.hard_requirements == ["outside_origin", "international_passport", "referral_partner"]
    assert "International passport (valid at least 6 months)" in added.checklist


def test_the_optional_columns_are_taken_as_written(tmp_path: Path) -> None:
    rows = _rows()
    rows[6].update(
        hard_requirements="international_passport;family_tie",
        checklist="Passport; Invitation",
        processing_days="30",
        fees="EUR 80",
    )
    columns = [*rows[0].keys(), "hard_requirements", "checklist", "processing_days", "fees"]
    for row in rows:
        row.setdefault("hard_requirements", "")
    out, _ = _import(_write(tmp_path / "structured.csv", rows, columns))
    lithuania = Pathway.objects.get(country="Lithuania")
    assert lithuania.hard_requirements == ["international_passport", "family_tie"]
    assert lithuania.checklist == ["Passport", "Invitation"]
    assert lithuania.processing_days == 30
    assert lithuania.fees == "EUR 80"
    # An empty cell of a column the file has means "none": the other rows lost theirs, as written.
    assert "0 added, 15 changed, 0 unchanged" in out
    assert Pathway.objects.get(code__startswith="canada-global-human-rights").hard_requirements == []


def test_a_missing_column_is_refused_on_line_1_and_nothing_changes(tmp_path: Path) -> None:
    before = _snapshot()
    columns = [name for name in _rows()[0] if name != "in_country_eligible"]
    err = _refused(_write(tmp_path / "missing.csv", _rows(), columns))
    assert "line 1: missing column(s): in_country_eligible" in err
    assert _snapshot() == before
    assert not AuditEntry.objects.filter(code=RelocationEvent.CATALOGUE_IMPORTED).exists()


def test_every_bad_value_is_named_with_its_line_and_nothing_changes(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["notes"] = "changed: must not be stored"
    rows[2]["in_country_eligible"] = "perhaps"
    rows[4]["country"] = ""
    before = _snapshot()
    err = _refused(_write(tmp_path / "bad.csv", rows))
    # Line 1 is the header; the data rows are one line each in this file.
    assert "line 4: in_country_eligible must start with yes, no, exceptional or unknown" in err
    assert "line 6: country is empty" in err
    assert _snapshot() == before


def test_a_bad_number_and_an_unknown_requirement_are_refused(tmp_path: Path) -> None:
    rows = _rows()
    for row in rows:
        row.update(hard_requirements="", processing_days="")
    rows[1]["processing_days"] = "twelve"
    rows[3]["hard_requirements"] = "outside_origin;has_money"
    err = _refused(_write(tmp_path / "numbers.csv", rows))
    assert "line 3: processing_days must be a whole number of days from 1 to 3650" in err
    assert "line 5: unknown hard requirement(s): has_money" in err


def test_a_duplicate_row_is_refused_with_both_lines(tmp_path: Path) -> None:
    rows = _rows()
    rows.append(dict(rows[7]))
    err = _refused(_write(tmp_path / "twice.csv", rows))
    assert "line 17: the same pathway as line 9" in err


def test_a_file_that_is_not_utf8_is_refused_with_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    text = SHARED.read_text(encoding="utf-8").replace("Lithuania", "Litauen — Vilnius", 1)
    path.write_bytes(text.encode("utf-8").replace("—".encode(), b"\x97"))  # a cp1252 dash
    before = _snapshot()
    err = _refused(path)
    assert "line 8: not UTF-8 text" in err
    assert _snapshot() == before


def test_a_row_with_too_many_fields_and_an_unknown_column_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "shape.csv"
    lines = SHARED.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + ",colour", *[line + ",x" for line in lines[1:3]]]) + "\n", encoding="utf-8")
    assert "line 1: unknown column(s): colour" in _refused(path)
    path.write_text("\n".join([lines[0], lines[1] + ",extra", lines[2]]) + "\n", encoding="utf-8")
    assert "line 2: 10 fields where the header has 9" in _refused(path)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert "line 1: the file is empty" in _refused(path)


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("pathways", "import", str(tmp_path / "absent.csv"), stdout=io.StringIO(), stderr=io.StringIO())


def test_export_writes_the_catalogue_back_in_the_same_format(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("pathways", "export", stdout=out)
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    shipped = _rows()
    assert len(exported) == len(shipped)
    by_name = {row["pathway_name"]: row for row in exported}
    for row in shipped:
        assert {name: by_name[row["pathway_name"]][name] for name in row} == row
    lithuania = next(row for row in exported if row["country"] == "Lithuania")
    assert lithuania["hard_requirements"] == "international_passport"
    # And the export imports again without changing anything.
    path = tmp_path / "export.csv"
    call_command("pathways", "export", "--output", str(path), stdout=io.StringIO())
    before = _snapshot()
    assert "0 added, 0 changed, 15 unchanged" in _import(path)[0]
    assert _snapshot() == before
