"""Coverage-guided fuzzing of the witness export's line parser (refuge.audit.export) with atheris.

    .venv/bin/python tests/fuzz/fuzz_audit_export.py -runs=100000 /tmp/fuzz-work tests/corpus/audit_export

`refuge audit verify --witness FILE` reads a file kept off the host by a witness: it may
have been altered by whoever wants the log to look intact, so each line is untrusted
text. `parse_line` may refuse with ValueError (what the verifier reports as "not an audit
export line"); any other exception is a crash, and so is a result of the wrong shape.

An input whose first byte is even is one line, read as UTF-8 (invalid sequences become
U+FFFD). The JSON decoder is C code that atheris cannot see into, so mutating raw text
rarely reaches parse_line's own checks with an odd value in a field; an input whose
first byte is odd is therefore read as a recipe (atheris.FuzzedDataProvider) for an
export object whose fields each get a value of any JSON type, and its JSON is the line.
tests/fuzz/test_fuzzers.py runs a bounded number of executions (marker `slow`).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime

import atheris
import django
from django.conf import settings

# parse_line needs the audit app's models imported, nothing else: no database, no secrets.
settings.configure(INSTALLED_APPS=["refuge.audit"], USE_TZ=True, USE_I18N=False)
django.setup()

with atheris.instrument_imports(include=["refuge"]):
    from refuge.audit.export import ExportedKey, parse_line
    from refuge.audit.rows import CheckpointRow


FORMAT = "refuge-audit-export/1"
FIELDS = ["format", "kind", "public_key", "seq", "entry_hash", "signed_at", "signature", "exported_at"]
HEX_FIELDS = {"public_key", "entry_hash", "signature"}
TIMES = ["2025-03-01T12:00:00+00:00", "2025-03-01", "2025-03-01 12:00", "2025-02-30T25:00", "20250301T1200Z", ""]
FLOATS = [float("inf"), float("-inf"), float("nan"), 1e300, -0.0, 0.5]


# The harness is instrumented too, so that each shape of line it builds counts as new coverage.
@atheris.instrument_func
def _value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> object:
    """Any JSON value."""
    choice = fdp.ConsumeIntInRange(0, 7)
    if choice == 0:
        return fdp.ConsumeInt(fdp.ConsumeIntInRange(1, 64))
    if choice == 1:
        # NaN and ±Infinity included: json.dumps writes them and json.loads reads them back.
        return fdp.PickValueInList(FLOATS) if fdp.ConsumeBool() else fdp.ConsumeFloat()
    if choice == 2:
        return fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 80))
    if choice == 3:
        return fdp.PickValueInList([None, True, False])
    if choice == 4 and depth < 3:
        return [_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    if choice == 5 and depth < 3:
        return {fdp.PickValueInList(FIELDS): _value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))}
    return fdp.ConsumeIntInRange(-(2**63), 2**63)


@atheris.instrument_func
def _field(fdp: atheris.FuzzedDataProvider, field: str) -> object:
    """Half the time a value of the field's own type (odd lengths and dates included), else any value."""
    if not fdp.ConsumeBool():
        return _value(fdp)
    if field == "format":
        return FORMAT
    if field == "kind":
        return fdp.PickValueInList(["key", "checkpoint"])
    if field == "seq":
        return fdp.ConsumeInt(8)
    if field in HEX_FIELDS:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)).hex()[: fdp.ConsumeIntInRange(0, 129)]
    return fdp.PickValueInList(TIMES)


@atheris.instrument_func
def _line(data: bytes) -> str:
    if not data or data[0] % 2 == 0:
        return data[1:].decode("utf-8", "replace")
    fdp = atheris.FuzzedDataProvider(data[1:])
    return json.dumps({field: _field(fdp, field) for field in FIELDS if fdp.ConsumeProbability() < 0.8})


@atheris.instrument_func
def test_one_input(data: bytes) -> None:
    """Feed one line; a refusal is fine, any other exception or a malformed result is a crash."""
    try:
        item = parse_line(_line(data))
    except ValueError:
        return
    if isinstance(item, ExportedKey) and isinstance(item.public_key, bytes):
        return
    if (
        isinstance(item, CheckpointRow)
        and isinstance(item.seq, int)
        and isinstance(item.signed_at, datetime)
        and all(isinstance(value, bytes) for value in (item.entry_hash, item.signature, item.public_key))
    ):
        return
    raise AssertionError(f"malformed result: {item!r}")


def main() -> None:
    """Run libFuzzer over test_one_input with the command line's options."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
