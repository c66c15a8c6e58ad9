"""Build the seed corpora of the text fuzzers: tests/corpus/receipts, shares and audit_export.

Run from the repository root: `.venv/bin/python tests/fuzz/make_seeds.py`. Seeds are small
inputs that already reach deep into the parser (a valid receipt typed several ways, share
sets that combine, well-formed export lines) plus near misses, so libFuzzer starts from
there instead of from random bytes. Rebuilding gives the same files, except the shares:
SLIP-39 draws its own randomness, so each build splits the same secrets differently.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from refuge.crypto import signing_public_key_of, split_secret

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
RECEIPT = "7K3M-Q9XD-2HNP-VR4T-8BWZ"

RECEIPTS = {
    "canonical": RECEIPT,
    "lowercase_spaces": "7k3m q9xd 2hnp vr4t 8bwz",
    "no_separators": RECEIPT.replace("-", ""),
    "cyrillic_look_alikes": RECEIPT.replace("B", "\u0412").replace("M", "\u041c").replace("T", "\u0422"),
    "full_width": "\uff17\uff2b\uff13\uff2d-Q9XD-2HNP-VR4T-8BWZ",
    "dashes_from_phones": "7K3M\u2013Q9XD\u20142HNP\u2212VR4T_8BWZ",
    "o_i_and_l": "7K3M-Q9XD-2HNP-VR4T-lBWo",  # read as 7K3M-Q9XD-2HNP-VR4T-1BW0
    "too_short": RECEIPT[:-1],
    "too_long": RECEIPT + "A",
    "has_u": RECEIPT[:-1] + "U",
    "padded": "  " + RECEIPT + "\n",
    "long_junk": "-" * 199 + "A",
    "empty": "",
}


def _receipts() -> dict[str, bytes]:
    return {f"{name}.txt": text.encode() for name, text in RECEIPTS.items()}


def _shares() -> dict[str, bytes]:
    secret = bytes(range(32))
    two_of_three = split_secret(secret, 2, 3)
    one_of_two = split_secret(secret, 1, 2)
    short_secret = split_secret(bytes(16), 2, 2)
    other = split_secret(bytes(range(32, 64)), 2, 3)
    first = two_of_three[0].split()
    sets = {
        "two_of_three": two_of_three[:2],
        "all_three": two_of_three,
        "one_of_two": one_of_two[:1],
        "too_few": two_of_three[:1],
        "sixteen_bytes": short_secret,
        "mixed_splits": [two_of_three[0], other[1]],
        "duplicate": [two_of_three[0], two_of_three[0]],
        "typo": [" ".join([*first[:-1], "academic"]), two_of_three[1]],
        "capitals_and_spaces": ["  " + two_of_three[0].upper().replace(" ", "   "), two_of_three[2] + "  "],
        "blank_lines": ["", two_of_three[1], "", two_of_three[2], ""],
    }
    return {f"{name}.txt": "\n".join(shares).encode() for name, shares in sets.items()}


def _export_line(**fields: object) -> bytes:
    return json.dumps({"format": "refuge-audit-export/1", **fields}, sort_keys=True, separators=(",", ":")).encode()


def _audit_export() -> dict[str, bytes]:
    """Export lines, each after the mode byte 0x00 (read the rest as a line: fuzz_audit_export.py)."""
    lines = _audit_export_lines()
    recipes = {f"recipe_{number}.bin": bytes([1, *range(number, number + 48)]) for number in (0, 7, 64)}
    return {name: b"\x00" + line for name, line in lines.items()} | recipes


def _audit_export_lines() -> dict[str, bytes]:
    public = signing_public_key_of(bytes(32)).hex()
    checkpoint = {
        "kind": "checkpoint",
        "seq": 1000,
        "entry_hash": "ab" * 32,
        "signed_at": "2025-03-01T12:00:00+00:00",
        "signature": "cd" * 64,
        "public_key": public,
    }
    return {
        "key.json": _export_line(kind="key", public_key=public, exported_at="2025-03-01T12:00:00+00:00"),
        "checkpoint.json": _export_line(**checkpoint),
        "checkpoint_naive_time.json": _export_line(**{**checkpoint, "signed_at": "2025-03-01 12:00"}),
        "checkpoint_seq_string.json": _export_line(**{**checkpoint, "seq": "42"}),
        "checkpoint_odd_hex.json": _export_line(**{**checkpoint, "entry_hash": "abc"}),
        "unknown_kind.json": _export_line(kind="entry"),
        "other_format.json": json.dumps({"format": "refuge-audit-export/2", "kind": "key"}).encode(),
        "not_an_object.json": b'["refuge-audit-export/1"]',
        # Found by this fuzzer: a number too big for a float, and nesting deeper than the parser's stack.
        "seq_overflow.json": _export_line(**checkpoint).replace(b'"seq":1000', b'"seq":1e400'),
        "deep_nesting.json": b"[" * 5000,
    }


def main() -> None:
    for name, files in (("receipts", _receipts()), ("shares", _shares()), ("audit_export", _audit_export())):
        folder = CORPUS / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            old.unlink()
        for file_name, content in files.items():
            (folder / file_name).write_bytes(content)
        sys.stdout.write(f"{len(files)} files in {folder}\n")


if __name__ == "__main__":
    main()
