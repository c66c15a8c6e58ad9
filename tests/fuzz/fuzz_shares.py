"""Coverage-guided fuzzing of the recovery shares parser (refuge.crypto.shares) with atheris.

    .venv/bin/python tests/fuzz/fuzz_shares.py -runs=100000 /tmp/fuzz-work tests/corpus/shares

Coordinators type or paste their SLIP-39 shares into a form (do_verify_recovery_shares),
so the text is whatever a person or a clipboard produces. One input is one set of shares,
one share a line, read as UTF-8 (invalid sequences become U+FFFD). `combine_shares` and
`recover_private_key` may refuse with CryptoError; any other exception is a crash, and so
is a broken promise: shares that combine give 16 to 32 bytes, and `recover_private_key`
accepts them exactly when they rebuild a 32-byte key whose public half it is given.
tests/fuzz/test_fuzzers.py runs a bounded number of executions (marker `slow`).
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["refuge", "shamir_mnemonic"]):
    from refuge.crypto import CryptoError, combine_shares, public_key_of, recover_private_key

# A public key that no input's shares rebuild (its private half is not a share set's secret).
OTHER_PUBLIC = public_key_of(bytes(range(1, 33)))


def test_one_input(data: bytes) -> None:
    """Feed one set of shares; a refusal is fine, any other exception or a broken promise is a crash."""
    shares = data.decode("utf-8", "replace").split("\n")
    try:
        secret = combine_shares(shares)
    except CryptoError:
        return
    if not 16 <= len(secret) <= 32 or len(secret) % 2:
        raise AssertionError(f"combined into {len(secret)} bytes: {shares!r}")
    if len(secret) == 32 and recover_private_key(shares, public_key_of(secret)) != secret:
        raise AssertionError(f"recovered a key other than the combined secret: {shares!r}")
    try:
        recover_private_key(shares, OTHER_PUBLIC)
    except CryptoError:
        return
    raise AssertionError(f"shares accepted for a public key they do not rebuild: {shares!r}")


def main() -> None:
    """Run libFuzzer over test_one_input with the command line's options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
