"""The benchmark build of bench/casepage.py really switches encryption off, and only what it says."""

from __future__ import annotations

import pytest

from bench.plaintext_app.apps import switch_off_encryption, switch_on_again
from refuge import crypto
from refuge.crypto import fields, keys


def test_the_benchmark_build_stores_plaintext_in_the_same_layout_and_switches_back() -> None:
    key, pair = crypto.random_key(), crypto.generate_keypair()
    encrypted = crypto.encrypt_field(key, b"CANARY-PLAIN", b"ad")
    wrapped = crypto.seal_for(pair.public, key)
    changed = switch_off_encryption()
    try:
        # Every holder of the primitives was reached: the package, its modules, and Refuge's own.
        assert {module.__name__ for module, _, _ in changed} >= {
            "refuge.crypto",
            "refuge.crypto._aead",
            "refuge.crypto.keys",
        }
        plain = crypto.encrypt_field(key, b"CANARY-PLAIN", b"ad")
        assert b"CANARY-PLAIN" in plain and len(plain) == len(encrypted)
        assert crypto.decrypt_field(key, plain, b"ad") == b"CANARY-PLAIN"
        plain_wrap = crypto.seal_for(pair.public, key)
        assert key in plain_wrap and len(plain_wrap) == len(wrapped)
        assert crypto.open_sealed(pair.private, plain_wrap) == key
        assert fields.decrypt_field(key, plain, b"ad") == b"CANARY-PLAIN"
    finally:
        switch_on_again(changed)
    assert b"CANARY-PLAIN" not in crypto.encrypt_field(key, b"CANARY-PLAIN", b"ad")
    assert keys.open_sealed(pair.private, wrapped) == key
    assert crypto.decrypt_field(key, encrypted, b"ad") == b"CANARY-PLAIN"


@pytest.mark.slow
def test_the_case_page_benchmark_runs_both_builds_and_judges_the_ratio() -> None:
    """A short `bench/run.py casepage`: it seeds both builds, checks which one has encryption off, and times both."""
    from bench import casepage
    from bench._databases import SQLITE
    from bench._results import BenchOptions

    result = casepage.run(BenchOptions(databases=[SQLITE], command="test", iterations=3))
    assert [check.requirement for check in result.checks] == [
        "SQLite: case page, median ≤ 1.3× the plaintext build's",
        "SQLite: identity compartment, median ≤ 1.3× the plaintext build's",
    ]
    rows = {row.name: row for table in result.tables for row in table.rows}
    assert rows["encrypted: case page"].n == rows["plaintext build: case page"].n == 3
