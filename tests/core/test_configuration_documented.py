"""Every environment variable the code reads is documented, and nothing else is (STYLE.md #7, #14)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import refuge

SOURCE = Path(refuge.__file__).resolve().parent
DOC = SOURCE.parent / "docs" / "configuration.md"
HELPERS = {"env_str", "env_bool", "env_int", "env_list", "env_secret", "_required_secret", "_required_key"}
# Secrets can also come from a file named by NAME_FILE (refuge.core.env.env_secret).
SECRET_HELPERS = {"env_secret", "_required_secret", "_required_key"}
ENVIRON_METHODS = {"get", "setdefault", "pop", "__getitem__"}
NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
TABLE_ROW_NAMES = re.compile(r"^\| ((?:`[A-Z][A-Z0-9_]*`(?:, )?)+) \|", re.MULTILINE)


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.match(node.value):
        return node.value
    return None


def _is_environ(node: ast.AST) -> bool:
    # os.environ, or a bare `environ` imported from os
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
        isinstance(node, ast.Name) and node.id == "environ"
    )


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _read_by(node: ast.AST) -> set[str]:
    """The variable names one AST node reads from the environment."""
    if isinstance(node, ast.Call) and node.args and (name := _literal(node.args[0])):
        callee = _callee(node)
        if callee in SECRET_HELPERS:
            return {name, f"{name}_FILE"}
        reads_environ = isinstance(node.func, ast.Attribute) and _is_environ(node.func.value)
        if callee in HELPERS or callee == "getenv" or (callee in ENVIRON_METHODS and reads_environ):
            return {name}
    if isinstance(node, ast.Subscript) and _is_environ(node.value) and (name := _literal(node.slice)):
        return {name}
    if isinstance(node, ast.Compare) and any(_is_environ(c) for c in node.comparators):
        return {name} if (name := _literal(node.left)) else set()
    return set()


def variables_read_in(tree: ast.AST) -> set[str]:
    """Names passed as literals to the env helpers, os.environ and os.getenv in one module."""
    return {name for node in ast.walk(tree) for name in _read_by(node)}


def variables_read_by_refuge() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for name in variables_read_in(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            found.setdefault(name, []).append(str(path.relative_to(SOURCE.parent)))
    return found


def variables_documented() -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    return {name for row in TABLE_ROW_NAMES.findall(text) for name in re.findall(r"`([A-Z0-9_]+)`", row)}


def test_every_variable_the_code_reads_is_documented() -> None:
    undocumented = {
        name: files for name, files in variables_read_by_refuge().items() if name not in variables_documented()
    }
    assert undocumented == {}, f"add these to a table in docs/configuration.md: {undocumented}"


def test_the_documentation_lists_no_variable_the_code_does_not_read() -> None:
    stale = variables_documented() - set(variables_read_by_refuge())
    assert stale == set(), f"docs/configuration.md documents variables nothing reads: {sorted(stale)}"


def test_the_scanner_finds_every_way_of_reading_the_environment() -> None:
    source = """
import os
from os import environ
a = env_str("A_STR", "x"); b = env_bool("B_BOOL", False); c = env_int("C_INT", 1, minimum=0)
d = env_list("D_LIST", []); e = env_secret("E_SECRET"); f = _required_key("F_KEY", "f")
g = os.environ.get("G_GET"); h = os.environ["H_ITEM"]; i = os.getenv("I_GETENV")
j = "J_IN" in os.environ; os.environ.setdefault("K_DEFAULT", "1"); l = environ.get("L_BARE")
not_a_name = env_str(variable_name); lower = os.environ.get("lowercase")
"""
    assert variables_read_in(ast.parse(source)) == {
        "A_STR", "B_BOOL", "C_INT", "D_LIST", "E_SECRET", "E_SECRET_FILE", "F_KEY", "F_KEY_FILE",
        "G_GET", "H_ITEM", "I_GETENV", "J_IN", "K_DEFAULT", "L_BARE",
    }  # fmt: skip


def test_the_known_settings_are_found_by_the_scan() -> None:
    # Guards the scanner itself: if it silently found nothing, the tests above would pass.
    found = variables_read_by_refuge()
    assert {"REFUGE_DATA_DIR", "DATABASE_URL", "REFUGE_SECRET_KEY", "REFUGE_SECRET_KEY_FILE", "REFUGE_HTTPS"} <= set(
        found
    )
