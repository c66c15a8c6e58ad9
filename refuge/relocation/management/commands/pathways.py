"""`refuge pathways import FILE | export`: load the shared pathway catalogue from a CSV file, or write it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from refuge.relocation.actions import do_import_pathways
from refuge.relocation.catalogue_csv import MAX_CATALOGUE_BYTES, CatalogueProblems, read_catalogue, write_catalogue
from refuge.relocation.queries import shared_catalogue


class Command(BaseCommand):
    help = "Import or export the shared pathway catalogue, in the format of shared/data/pathways.csv."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{import,export}")
        load = actions.add_parser(
            "import",
            help="check a catalogue CSV and add or update its pathways (nothing changes if any row is bad)",
            description="Every row is checked first; each problem is printed with its line number and, if there "
            "is any, nothing is changed. Pathways not in the file are kept. The optional columns "
            "hard_requirements, checklist, processing_days and fees are kept as they are when the file has none.",
        )
        load.add_argument("file", metavar="FILE", help="the CSV file (UTF-8), or - for standard input")
        export = actions.add_parser("export", help="write the shared catalogue as CSV (the import format)")
        export.add_argument("--output", "-o", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self._import(options["file"])
        else:
            self._export(options["output"])

    def _import(self, name: str) -> None:
        data = self._read(name)
        try:
            result = do_import_pathways(rows=read_catalogue(data))
        except CatalogueProblems as problems:
            for line, text in problems.problems:
                self.stderr.write(f"{name}: line {line}: {text}")
            raise CommandError(f"{len(problems.problems)} problem(s): nothing was imported") from None
        self.stdout.write(
            f"Imported {name}: {result.added} added, {result.changed} changed, {result.unchanged} unchanged"
        )

    def _read(self, name: str) -> bytes:
        try:
            if name == "-":
                return sys.stdin.buffer.read(MAX_CATALOGUE_BYTES + 1)
            with Path(name).open("rb") as handle:
                return handle.read(MAX_CATALOGUE_BYTES + 1)
        except OSError as error:
            raise CommandError(f"cannot read {name}: {error.strerror}") from None

    def _export(self, output: str | None) -> None:
        text = write_catalogue(shared_catalogue())
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
