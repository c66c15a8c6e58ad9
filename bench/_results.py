"""What a benchmark hands back to the runner, and how it is written into BENCHMARKS.md.

Everything here is plain data that survives a JSON round trip, because the
measuring is done in child processes (each with its own Django settings) and the
numbers travel back to the runner as JSON.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile(samples: list[float], percent: int) -> float:
    """The percent-th percentile, interpolated between the two nearest samples."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[percent - 1]


@dataclass
class Row:
    """One measured quantity: a distribution of samples (times) or a single reading (memory)."""

    name: str
    unit: str
    n: int
    median: float
    p95: float | None = None
    p99: float | None = None
    # The row this one is compared with, and median / baseline median.
    baseline: str = ""
    ratio: float | None = None

    @classmethod
    def timings(cls, name: str, seconds: list[float], *, baseline: Row | None = None) -> Row:
        """Summarise wall-clock samples (seconds) in milliseconds."""
        ms = [s * 1000 for s in seconds]
        row = cls(name, "ms", len(ms), statistics.median(ms), percentile(ms, 95), percentile(ms, 99))
        if baseline is not None:
            row.baseline = baseline.name
            row.ratio = row.median / baseline.median
        return row

    @classmethod
    def reading(cls, name: str, value: float, unit: str) -> Row:
        """A single reading, e.g. a process's resident memory."""
        return cls(name, unit, 1, value)


@dataclass
class Table:
    title: str
    rows: list[Row]
    notes: list[str] = field(default_factory=list)


@dataclass
class Check:
    """One line of the target: what was required, what was measured, whether it held."""

    requirement: str
    measured: str
    passed: bool


@dataclass
class BenchResult:
    name: str
    title: str
    # The target as DESIGN.md §7 words it.
    target: str
    command: str
    tables: list[Table] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    environment: str = ""
    date: str = ""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(check.passed for check in self.checks)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def tables_from_json(data: list[dict[str, Any]]) -> list[Table]:
    return [Table(t["title"], [Row(**row) for row in t["rows"]], list(t["notes"])) for t in data]


def checks_from_json(data: list[dict[str, Any]]) -> list[Check]:
    return [Check(**check) for check in data]


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return ""
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if float(value).is_integer():
        # Counts (submissions, errors, workers) are whole: "18,000 submissions", not "18000.0".
        return f"{int(value):,} {unit}"
    return f"{value:.1f} {unit}"


def render_table(table: Table) -> list[str]:
    lines = [f"**{table.title}**", ""]
    if all(row.n == 1 and row.p95 is None for row in table.rows):
        lines += ["| measurement | value |", "|---|--:|"]
        lines += [f"| {row.name} | {_number(row.median, row.unit)} |" for row in table.rows]
    else:
        lines += _distribution_rows(table.rows)
    lines.append("")
    lines += [f"- {note}" for note in table.notes]
    if table.notes:
        lines.append("")
    return lines


def _distribution_rows(rows: list[Row]) -> list[str]:
    lines = ["| measurement | n | median | p95 | p99 | ratio (vs baseline) |", "|---|--:|--:|--:|--:|---|"]
    for row in rows:
        ratio = f"{row.ratio:.2f}× {row.baseline}" if row.ratio is not None else ""
        cells = [row.name, str(row.n), _number(row.median, row.unit), _number(row.p95, row.unit)]
        cells += [_number(row.p99, row.unit), ratio]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_result(result: BenchResult) -> list[str]:
    """The Markdown section of one benchmark (without its delimiting comments)."""
    verdict = "PASS" if result.passed else "MISS"
    lines = [f"## {result.title} — {verdict}", ""]
    lines += [f"Target (DESIGN.md §7): {result.target}", ""]
    lines += ["| requirement | measured | result |", "|---|---|---|"]
    lines += [f"| {c.requirement} | {c.measured} | {'pass' if c.passed else 'MISS'} |" for c in result.checks]
    lines.append("")
    lines += [f"Measured {result.date} in {result.seconds:.0f} s on {result.environment}.", ""]
    for table in result.tables:
        lines += render_table(table)
    if result.notes:
        lines += ["Notes:", ""]
        lines += [f"- {note}" for note in result.notes]
        lines.append("")
    lines += ["Reproduce:", "", "```sh", result.command, "```"]
    return lines


@dataclass
class BenchOptions:
    """What the runner passes to every benchmark's run()."""

    # DatabaseTarget instances (bench/_databases.py): SQLite first, then PostgreSQL if asked.
    databases: list[Any]
    # The command that reproduces this run, written into BENCHMARKS.md.
    command: str
    # None: each benchmark's own default.
    iterations: int | None = None
