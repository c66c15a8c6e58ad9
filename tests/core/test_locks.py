"""The locks `make install` reads: complete, hashed, and one set of versions for demo and tests."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    return {package.lower(): version for package, version in PIN.findall((ROOT / "requirements" / name).read_text())}


def declared(names: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~; ]", name, maxsplit=1)[0].lower() for name in names}


def test_the_runtime_lock_pins_the_same_versions_as_the_development_lock():
    runtime, dev = pins("runtime.lock"), pins("dev.lock")
    assert runtime
    assert {package: dev.get(package) for package in runtime} == runtime


def test_the_runtime_lock_leaves_the_development_tools_out():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    development_only = declared(project["optional-dependencies"]["dev"]) - declared(project["dependencies"])
    assert development_only <= set(pins("dev.lock"))
    assert not development_only & set(pins("runtime.lock"))


def test_every_locked_requirement_carries_a_hash():
    for name in ("bootstrap.lock", "runtime.lock", "dev.lock"):
        text = (ROOT / "requirements" / name).read_text()
        for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
            if PIN.match(block):
                assert "--hash=sha256:" in block, f"{name}: {block.splitlines()[0]}"


def test_the_bootstrap_pins_the_installer_and_the_build_backend():
    assert set(pins("bootstrap.lock")) == {"uv", "setuptools"}
