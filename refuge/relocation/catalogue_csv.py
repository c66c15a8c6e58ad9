"""The catalogue as a CSV file: read and check every row, or write the catalogue back.

The format is shared/data/pathways.csv: a header line, then one pathway a row with the
columns of `COLUMNS`. Four more columns are optional (`OPTIONAL`): the structured hard
requirements, the document checklist, the typical days to a decision and the fees; a file
without them keeps what the catalogue has (or reads the requirements from the row's words,
for a new pathway). Every problem is reported with the line it is on, and a file with any
problem is refused whole (docs/limits.md, "Pathway catalogue file").
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from refuge.relocation.models import Pathway
from refuge.relocation.requirements import SEPARATOR, derived_checklist, derived_requirements, parse_requirements
from refuge.relocation.seed import pathway_code

COLUMNS = (
    "country",
    "pathway_name",
    "legal_basis",
    "who_applies",
    "requirements_short",
    "typical_processing_time",
    "in_country_eligible",
    "notes",
    "sources",
)
OPTIONAL = ("hard_requirements", "checklist", "processing_days", "fees")

MAX_CATALOGUE_BYTES = 1024 * 1024
MAX_CATALOGUE_ROWS = 1000
MAX_CATALOGUE_CELL = 5000
MAX_PROCESSING_DAYS = 3650
MAX_CHECKLIST_ITEMS = 40
MAX_CHECKLIST_ITEM_CHARS = 200
# in_country_eligible is prose with caveats, but it must start with one of these words.
ELIGIBLE_WORDS = ("yes", "no", "exceptional", "unknown")
LENGTHS = {"country": 80, "pathway_name": 300}


@dataclass(frozen=True)
class CatalogueRow:
    """One checked row, in the model's terms."""

    line: int
    code: str
    country: str
    name: str
    legal_basis: str
    who_applies: str
    requirements: str
    typical_processing_time: str
    in_country_eligible: str
    notes: str
    sources: str
    # None where the file has no such column: the catalogue keeps (or derives) its own.
    hard_requirements: list[str] | None
    checklist: list[str] | None
    processing_days: int | None
    fees: str | None
    has_days: bool


@dataclass
class CatalogueProblems(Exception):
    """Every problem of a refused file, each with its line (1 is the header)."""

    problems: list[tuple[int, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(f"line {line}: {text}" for line, text in self.problems)


def read_catalogue(data: bytes) -> list[CatalogueRow]:
    """Check the whole file and return its rows, or raise `CatalogueProblems` naming each bad line."""
    if len(data) > MAX_CATALOGUE_BYTES:
        raise CatalogueProblems([(0, f"the file is larger than {MAX_CATALOGUE_BYTES} bytes")])
    text = _decoded(data)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    problems: list[tuple[int, str]] = []
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise CatalogueProblems([(1, f"not a CSV header: {error}")]) from None
    if header is None:
        raise CatalogueProblems([(1, "the file is empty: a header line is needed")])
    _check_header(header, problems)
    if problems:
        raise CatalogueProblems(problems)
    rows: list[CatalogueRow] = []
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            problems.append((line, f"not valid CSV: {error}"))
            break
        if not any(value.strip() for value in values):
            continue  # a blank line
        if len(rows) >= MAX_CATALOGUE_ROWS:
            problems.append((line, f"more than {MAX_CATALOGUE_ROWS} pathways"))
            break
        row = _checked_row(line, header, values, problems)
        if row is None:
            continue
        if row.code in seen:
            problems.append((line, f"the same pathway as line {seen[row.code]} ({row.country}: {row.name})"))
            continue
        seen[row.code] = line
        rows.append(row)
    if problems:
        raise CatalogueProblems(problems)
    return rows


def _decoded(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CatalogueProblems([(line, "not UTF-8 text (save the file as UTF-8)")]) from None


def _check_header(header: list[str], problems: list[tuple[int, str]]) -> None:
    names = [name.strip() for name in header]
    missing = [name for name in COLUMNS if name not in names]
    unknown = [name for name in names if name not in COLUMNS + OPTIONAL]
    twice = sorted({name for name in names if names.count(name) > 1})
    if missing:
        problems.append((1, "missing column(s): " + ", ".join(missing)))
    if unknown:
        problems.append((1, "unknown column(s): " + ", ".join(unknown)))
    if twice:
        problems.append((1, "column(s) given twice: " + ", ".join(twice)))


def _checked_row(
    line: int, header: list[str], values: list[str], problems: list[tuple[int, str]]
) -> CatalogueRow | None:
    if len(values) != len(header):
        problems.append((line, f"{len(values)} fields where the header has {len(header)}"))
        return None
    cells = {name.strip(): value.strip() for name, value in zip(header, values, strict=True)}
    before = len(problems)
    for name, value in cells.items():
        limit = LENGTHS.get(name, MAX_CATALOGUE_CELL)
        if len(value) > limit:
            problems.append((line, f"{name} is longer than {limit} characters"))
        if any(ord(char) < 32 and char not in "\n\t" for char in value):
            problems.append((line, f"{name} holds a control character"))
    for name in ("country", "pathway_name"):
        if not cells[name]:
            problems.append((line, f"{name} is empty"))
    eligible = cells["in_country_eligible"].lower()
    if not eligible.startswith(ELIGIBLE_WORDS):
        problems.append((line, "in_country_eligible must start with yes, no, exceptional or unknown"))
    hard = _requirements(line, cells, problems)
    checklist = _checklist(line, cells, problems)
    days = _days(line, cells, problems)
    if len(problems) > before:
        return None
    return _row(line, cells, hard, checklist, days)


def _requirements(line: int, cells: dict[str, str], problems: list[tuple[int, str]]) -> list[str] | None:
    if "hard_requirements" not in cells:
        return None
    known, unknown = parse_requirements(cells["hard_requirements"])
    if unknown:
        problems.append((line, "unknown hard requirement(s): " + ", ".join(unknown)))
    return known


def _checklist(line: int, cells: dict[str, str], problems: list[tuple[int, str]]) -> list[str] | None:
    if "checklist" not in cells:
        return None
    items = [item.strip() for item in cells["checklist"].split(SEPARATOR) if item.strip()]
    if len(items) > MAX_CHECKLIST_ITEMS:
        problems.append((line, f"more than {MAX_CHECKLIST_ITEMS} checklist items"))
    if any(len(item) > MAX_CHECKLIST_ITEM_CHARS for item in items):
        problems.append((line, f"a checklist item is longer than {MAX_CHECKLIST_ITEM_CHARS} characters"))
    return items


def _days(line: int, cells: dict[str, str], problems: list[tuple[int, str]]) -> int | None:
    text = cells.get("processing_days", "")
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_PROCESSING_DAYS:
        problems.append((line, f"processing_days must be a whole number of days from 1 to {MAX_PROCESSING_DAYS}"))
        return None
    return int(text)


def _row(
    line: int, cells: dict[str, str], hard: list[str] | None, checklist: list[str] | None, days: int | None
) -> CatalogueRow:
    return CatalogueRow(
        line=line,
        code=pathway_code(cells["country"], cells["pathway_name"]),
        country=cells["country"],
        name=cells["pathway_name"],
        legal_basis=cells["legal_basis"],
        who_applies=cells["who_applies"],
        requirements=cells["requirements_short"],
        typical_processing_time=cells["typical_processing_time"],
        in_country_eligible=cells["in_country_eligible"],
        notes=cells["notes"],
        sources=cells["sources"],
        hard_requirements=hard,
        checklist=checklist,
        processing_days=days,
        fees=cells.get("fees"),
        has_days="processing_days" in cells,
    )


def new_row_requirements(row: CatalogueRow) -> list[str]:
    """A new pathway's requirements: as the file gives them, or read from its words."""
    if row.hard_requirements is not None:
        return row.hard_requirements
    return derived_requirements(
        who_applies=row.who_applies,
        requirements=row.requirements,
        in_country_eligible=row.in_country_eligible,
        name=row.name,
    )


def new_row_checklist(row: CatalogueRow, requirements: list[str]) -> list[str]:
    return row.checklist if row.checklist is not None else derived_checklist(requirements)


def write_catalogue(pathways: list[Pathway]) -> str:
    """The catalogue in the import format, the optional columns included (a round trip changes nothing)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS + OPTIONAL)
    for pathway in pathways:
        writer.writerow(
            [
                pathway.country,
                pathway.name,
                pathway.legal_basis,
                pathway.who_applies,
                pathway.requirements,
                pathway.typical_processing_time,
                pathway.in_country_eligible,
                pathway.notes,
                pathway.sources,
                SEPARATOR.join(pathway.hard_requirements),
                SEPARATOR.join(pathway.checklist),
                "" if pathway.processing_days is None else str(pathway.processing_days),
                pathway.fees,
            ]
        )
    return out.getvalue()
