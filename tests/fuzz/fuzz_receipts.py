"""Coverage-guided fuzzing of the receipt parser (refuge.crypto.receipts) with atheris.

    .venv/bin/python tests/fuzz/fuzz_receipts.py -runs=100000 /tmp/fuzz-work tests/corpus/receipts

A receipt is typed by a requester (or by anyone probing the portal), so every string is
possible. The input bytes are read as UTF-8 (invalid sequences become U+FFFD, as a form
field would decode them). `normalise_receipt` and `derive_receipt_secrets` may refuse
with InvalidReceipt; any other exception is a crash, and so is a broken promise: an
accepted receipt must come back in its canonical grouped form, normalise to itself, and
give the same secrets as that canonical form. tests/fuzz/test_fuzzers.py runs a
bounded number of executions (marker `slow`); `make fuzz` runs many more.
"""

from __future__ import annotations

import re
import sys

import atheris

with atheris.instrument_imports(include=["refuge"]):
    from refuge.crypto import InvalidReceipt, derive_receipt_secrets, normalise_receipt

# A fixed pepper: the derivation's output does not matter here, only that it is consistent.
PEPPER = bytes(range(32))
CANONICAL = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){4}")


def test_one_input(data: bytes) -> None:
    """Feed one input; a refusal is fine, any other exception or a broken promise is a crash."""
    text = data.decode("utf-8", "replace")
    try:
        canonical = normalise_receipt(text)
    except InvalidReceipt:
        try:
            derive_receipt_secrets(text, PEPPER)
        except InvalidReceipt:
            return
        raise AssertionError(f"derived secrets from a refused receipt: {text!r}") from None
    if not CANONICAL.fullmatch(canonical) or normalise_receipt(canonical) != canonical:
        raise AssertionError(f"not canonical: {text!r} gave {canonical!r}")
    derived = derive_receipt_secrets(text, PEPPER)
    if derived != derive_receipt_secrets(canonical, PEPPER):
        raise AssertionError(f"two spellings of one receipt gave different secrets: {text!r}")
    if len(derived.lookup_id) != 32 or len(derived.keypair.public) != 32 or len(derived.keypair.private) != 32:
        raise AssertionError(f"secrets of the wrong size from {text!r}")


def main() -> None:
    """Run libFuzzer over test_one_input with the command line's options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
