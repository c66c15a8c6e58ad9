"""Every limit constant on outside input is documented in docs/limits.md (DESIGN.md §8, STYLE.md #14)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import refuge
from refuge.intake import uploads
from refuge.intake.actions.messages import MAX_FILES_PER_REQUEST, MAX_MESSAGE_CHARS, MAX_REQUESTER_MESSAGES_PER_HOUR
from refuge.intake.uploads import (
    MAX_FILE_BYTES,
    MAX_FILES_PER_UPLOAD,
    MAX_IMAGE_PARTS,
    MAX_IMAGE_PIXELS,
    MAX_JPEG_SCANS,
    MAX_METADATA_TEXT_BYTES,
    MAX_NAME_CHARS,
    MAX_PDF_ENTRIES,
    MAX_PDF_OBJECTS,
    MAX_PDF_PAGES,
    MAX_PDF_STREAM_MEMORY,
    MAX_WEBP_PIXELS,
)

DOC = Path(refuge.__file__).resolve().parent.parent / "docs" / "limits.md"
LIMIT_NAME = re.compile(r"^MAX_[A-Z0-9_]+$")
# Modules whose MAX_ constants bound what arrives from outside: the upload package (every
# submodule, so a limit not re-exported is still found), request bodies, intake's actions, the portal's
# forms, the accounts' actions, and the cases and shelter write paths.
MODULES = [
    "refuge.core.request_body",
    "refuge.intake.uploads.handler",
    "refuge.intake.actions",
    "refuge.intake.reads",
    "refuge.requester.forms",
    "refuge.accounts.actions",
    "refuge.cases.actions",
    "refuge.cases.compartments",
    "refuge.cases.queries",
    "refuge.shelter.actions",
    "refuge.relocation.catalogue_csv",
    "refuge.relocation.actions",
    "refuge.applications.actions",
    "refuge.accounts.api_tokens",
    "refuge.api.main",
    "refuge.api.schemas",
]
KEY_LIMITS = {
    "MAX_FILE_BYTES": MAX_FILE_BYTES,
    "MAX_FILES_PER_UPLOAD": MAX_FILES_PER_UPLOAD,
    "MAX_IMAGE_PIXELS": MAX_IMAGE_PIXELS,
    "MAX_WEBP_PIXELS": MAX_WEBP_PIXELS,
    "MAX_JPEG_SCANS": MAX_JPEG_SCANS,
    "MAX_IMAGE_PARTS": MAX_IMAGE_PARTS,
    "MAX_PDF_PAGES": MAX_PDF_PAGES,
    "MAX_PDF_OBJECTS": MAX_PDF_OBJECTS,
    "MAX_PDF_ENTRIES": MAX_PDF_ENTRIES,
    "MAX_PDF_STREAM_MEMORY": MAX_PDF_STREAM_MEMORY,
    "MAX_NAME_CHARS": MAX_NAME_CHARS,
    "MAX_METADATA_TEXT_BYTES": MAX_METADATA_TEXT_BYTES,
    "MAX_MESSAGE_CHARS": MAX_MESSAGE_CHARS,
    "MAX_REQUESTER_MESSAGES_PER_HOUR": MAX_REQUESTER_MESSAGES_PER_HOUR,
    "MAX_FILES_PER_REQUEST": MAX_FILES_PER_REQUEST,
}


def with_submodules(module: ModuleType) -> list[ModuleType]:
    """A module, and when it is a package (actions split by resource), each of its submodules."""
    inside = pkgutil.iter_modules(module.__path__, f"{module.__name__}.") if hasattr(module, "__path__") else []
    return [module, *(importlib.import_module(info.name) for info in inside)]


def limit_modules() -> list[ModuleType]:
    """The upload package with each of its submodules, and the other input-facing modules (with theirs)."""
    found = with_submodules(uploads)
    for name in MODULES:
        found += with_submodules(importlib.import_module(name))
    return found


def limit_names() -> set[str]:
    """Every MAX_ constant (an int) defined or imported at the top of those modules."""
    return {
        name
        for module in limit_modules()
        for name, value in vars(module).items()
        if LIMIT_NAME.match(name) and isinstance(value, int)
    }


def test_the_scan_finds_the_key_limits() -> None:
    # A scan that found nothing would pass the next test vacuously.
    assert set(KEY_LIMITS) <= limit_names()


@pytest.mark.parametrize("name", sorted(limit_names()))
def test_each_limit_constant_is_named_in_the_limits_page(name: str) -> None:
    assert f"`{name}`" in DOC.read_text(encoding="utf-8"), f"{name} is a limit: document it in docs/limits.md"


def test_the_limits_page_names_no_constant_the_code_lost() -> None:
    documented = set(re.findall(r"`(MAX_[A-Z0-9_]+)`", DOC.read_text(encoding="utf-8")))
    source = "\n".join(path.read_text(encoding="utf-8") for path in Path(refuge.__file__).parent.rglob("*.py"))
    defined = set(re.findall(r"^(MAX_[A-Z0-9_]+) *[:=]", source, re.MULTILINE))
    assert documented - defined == set()


def stated(value: int) -> str:
    """A value as the page writes it: whole mebibytes as "N MiB", other numbers with thousands commas."""
    mebibyte = 1024 * 1024
    return f"{value // mebibyte} MiB" if value >= mebibyte and value % mebibyte == 0 else f"{value:,}"


def test_the_page_states_each_limit_at_its_value_in_code() -> None:
    values = {
        name: value for module in limit_modules() for name, value in vars(module).items() if name in limit_names()
    }
    rows = [row.split(" | ") for row in DOC.read_text(encoding="utf-8").splitlines() if row.startswith("| ")]
    for name, value in values.items():
        # The row that sets the limit: its "Set in" column starts with the name.
        cells = [row[1] for row in rows if len(row) > 2 and row[2].startswith(f"`{name}`")]
        assert cells, f"no row of docs/limits.md is set in `{name}`"
        number = re.compile(rf"(?<![\d,.]){re.escape(stated(value))}(?![\d,])")
        assert all(number.search(cell) for cell in cells), f"docs/limits.md gives `{name}` another value than {value}"
