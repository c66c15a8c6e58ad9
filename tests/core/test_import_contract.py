"""The import contract (pyproject.toml, [tool.importlinter]) holds, and breaks on an upward import.

As the semgrep rules are proven on fixtures, the contract is proven on copies of refuge/
with imports added that point up a layer or close a cycle: `lint-imports` must fail and
name each.
docs/architecture.md, "Layers", explains the contract and how to read a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports with the project's contract over the refuge package found under root."""
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(root / "pyproject.toml")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def copy_of_refuge(tmp_path: Path) -> Path:
    """The project's Python files and contract, copied under tmp_path (templates and translations left out)."""
    shutil.copytree(
        ROOT / "refuge",
        tmp_path / "refuge",
        ignore=shutil.ignore_patterns("__pycache__", "templates", "static", "locale", "data"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + line + "\n", encoding="utf-8")


def test_the_project_keeps_its_import_contract() -> None:
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


# Each added import points up a layer (the last one closes a cycle inside a package); all are
# added to one copy, checked in one run.
BAD_IMPORTS = [
    # core depends on no domain app.
    (
        "core/errors.py",
        "from refuge.cases.models import Case",
        "refuge.core is not allowed to import refuge.cases",
        "refuge.core.errors -> refuge.cases.models",
    ),
    # An import inside a function counts as much as one at the top.
    (
        "keyring/actions/keys.py",
        "def _upward():\n    from refuge.accounts.models import User\n\n    return User",
        "refuge.keyring is not allowed to import refuge.accounts",
        "refuge.keyring.actions.keys -> refuge.accounts.models",
    ),
    # The domain apps are below the surfaces.
    (
        "intake/queries.py",
        "from refuge.requester import forms",
        "refuge.intake is not allowed to import refuge.requester",
        "refuge.intake.queries -> refuge.requester.forms",
    ),
    # The two surfaces are independent siblings.
    (
        "workspace/forms.py",
        "from refuge.requester import forms",
        "refuge.workspace is not allowed to import refuge.requester",
        "refuge.workspace.forms -> refuge.requester.forms",
    ),
    # Nothing below ops imports ops (management commands, demo data).
    (
        "cases/queries.py",
        "from refuge.ops import demo_data",
        "refuge.cases is not allowed to import refuge.ops",
        "refuge.cases.queries -> refuge.ops.demo_data",
    ),
    # Two modules of one package importing each other break the second contract, acyclic.
    (
        "keyring/actions/keys.py",
        "from refuge.keyring import records",
        "No cycles are allowed in refuge.keyring.",
        ".records -> .actions",
    ),
]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """lint-imports over a copy of refuge/ with every import of BAD_IMPORTS added."""
    root = copy_of_refuge(tmp_path_factory.mktemp("upward"))
    for module, line, _message, _route in BAD_IMPORTS:
        add_line(root / "refuge" / module, line)
    return lint_imports(root)


def test_upward_imports_and_a_cycle_fail_the_check(broken: subprocess.CompletedProcess[str]) -> None:
    assert broken.returncode != 0
    assert "0 kept, 2 broken" in broken.stdout


@pytest.mark.parametrize(("module", "line", "message", "route"), BAD_IMPORTS)
def test_each_bad_import_is_named(
    broken: subprocess.CompletedProcess[str], module: str, line: str, message: str, route: str
) -> None:
    assert message in broken.stdout
    assert route in broken.stdout


def test_a_package_without_a_layer_breaks_the_contract(tmp_path: Path) -> None:
    # A new app must choose its layer in pyproject.toml before it can be imported from anywhere.
    root = copy_of_refuge(tmp_path)
    (root / "refuge" / "reports").mkdir()
    (root / "refuge" / "reports" / "__init__.py").write_text("", encoding="utf-8")

    result = lint_imports(root)

    assert result.returncode != 0
    assert "refuge.reports" in result.stdout
