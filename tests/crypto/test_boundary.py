"""The crypto boundary: only refuge/crypto imports crypto libraries (STYLE.md #5)."""

import re
import subprocess
import sys
from pathlib import Path

import refuge.crypto

PACKAGE = Path(refuge.crypto.__file__).resolve().parent
REFUGE = PACKAGE.parent
FORBIDDEN = re.compile(r"^\s*(import\s+(nacl|pyrage)\b|from\s+(nacl|pyrage)\b)|shamir_mnemonic", re.MULTILINE)
DJANGO = re.compile(r"^\s*(import|from)\s+django\b", re.MULTILINE)


def test_no_module_outside_refuge_crypto_imports_a_crypto_library() -> None:
    offenders = [
        str(path.relative_to(REFUGE))
        for path in REFUGE.rglob("*.py")
        if PACKAGE not in path.parents and FORBIDDEN.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == [], f"only refuge/crypto may use nacl, pyrage or shamir_mnemonic: {offenders}"


def test_the_boundary_check_would_catch_an_offender() -> None:
    assert FORBIDDEN.search("import os\nfrom nacl.public import SealedBox\n")
    assert FORBIDDEN.search("    import nacl.utils")
    assert FORBIDDEN.search("x = __import__('shamir_mnemonic')")
    assert FORBIDDEN.search("from pyrage import x25519")
    assert not FORBIDDEN.search("# uses refuge.crypto, not naclish things\nimport naclx\n")


def test_the_crypto_package_imports_no_django() -> None:
    for path in PACKAGE.glob("*.py"):
        assert not DJANGO.search(path.read_text(encoding="utf-8")), path.name
    probe = "import sys, refuge.crypto; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], cwd=REFUGE.parent, check=False).returncode == 0


def test_the_public_api_is_exported() -> None:
    names = set(refuge.crypto.__all__)
    assert {
        "CryptoError",
        "encrypt_field",
        "seal_for",
        "split_secret",
        "blind_index",
    } <= names
    assert all(hasattr(refuge.crypto, name) for name in names)
    assert len(names) == len(refuge.crypto.__all__)
