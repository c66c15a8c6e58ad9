"""The private key that opens a backup: a backup key file, or the recovery shares."""

from __future__ import annotations

import base64
import binascii
import os
import sys
from pathlib import Path
from typing import TextIO

from refuge.crypto import CryptoError, combine_shares, generate_keypair
from refuge.ops.backup.container import BackupRefused


def new_backup_key(path: Path) -> bytes:
    """Write a new backup private key to path (mode 0600, never replacing a file); return its public key."""
    pair = generate_keypair()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(pair.private).decode() + "\n")
    return pair.public


def key_from_file(path: Path) -> bytes:
    """A backup private key written by `refuge backup --new-key`."""
    try:
        key = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error) as error:
        raise BackupRefused(f"cannot read a backup key from {path}: {error}") from None
    if len(key) != 32:
        raise BackupRefused(f"{path} does not hold a backup key (32 bytes in base64)")
    return key


def key_from_shares(stream: TextIO = sys.stdin) -> bytes:
    """The organisation recovery key rebuilt from shares, one per line; kept in memory only."""
    shares = [line.strip() for line in stream.read(64_000).splitlines() if line.strip()]
    try:
        key = combine_shares(shares)
    except CryptoError:
        raise BackupRefused(
            "these shares do not rebuild a recovery key (too few, mistyped, or of different keys)"
        ) from None
    if len(key) != 32:
        raise BackupRefused("these shares do not rebuild a recovery key")
    return key
