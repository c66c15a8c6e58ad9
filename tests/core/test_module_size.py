"""No module in refuge/ is over 400 lines (docs/development.md, "How to add a capability").

A module that grows past it is split by resource, with matching names across models, actions,
views and forms, as the cases and accounts apps are. Migrations are generated and exempt.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 400


def long_modules(package: Path) -> list[str]:
    """Every Python module under package, migrations apart, longer than LIMIT lines, with its length."""
    found = []
    for path in sorted(package.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > LIMIT:
            found.append(f"{path.relative_to(package.parent)}: {lines} lines")
    return found


def test_no_module_in_refuge_is_over_400_lines() -> None:
    assert long_modules(ROOT / "refuge") == []


def test_the_check_names_a_module_that_grows_past_the_limit(tmp_path: Path) -> None:
    package = tmp_path / "refuge"
    (package / "migrations").mkdir(parents=True)
    (package / "short.py").write_text("x = 1\n" * LIMIT)
    (package / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    (package / "migrations" / "0001_initial.py").write_text("x = 1\n" * (LIMIT * 3))
    assert [line.split(": ")[1] for line in long_modules(package)] == [f"{LIMIT + 1} lines"]
