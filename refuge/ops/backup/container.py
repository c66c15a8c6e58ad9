"""The backup file: a clear header naming who can open it, then one encrypted stream.

Layout (docs/operations.md, "Backup and restore"):

    MAGIC (16 bytes) | header length (4, big-endian) | header (JSON) | secretstream

The header holds a random backup id and, per recipient, its X25519 public key and the
backup's data key sealed to it; nothing else, so a seized backup says only which
recovery or backup keys can open it. The payload is encrypted with libsodium's
secretstream under the data key, with the SHA-256 of everything before it as associated
data: a header swapped in from another backup, a chunk cut, replayed, reordered or
flipped, or a file cut short all fail to open.

Inside the stream the payload is a sequence of records: a kind (1 byte), a length
(4 bytes, big-endian) and a body. No Django here: this module only moves bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from refuge.crypto import (
    MAX_CHUNK_BYTES,
    CryptoError,
    StreamEncryptor,
    iter_decrypted_stream,
    open_sealed,
    public_key_of,
    random_key,
    seal_for,
)

MAGIC = b"REFUGE-BACKUP\x00\x00\x01"
FORMAT = 1
MAX_HEADER_BYTES = 64 * 1024
MAX_RECIPIENTS = 64
# The largest record a reader accepts: a row holding one stored file (60 MiB at most,
# docs/limits.md) with room to spare. A damaged length cannot make the reader buffer more.
MAX_RECORD_BYTES = 256 * 1024 * 1024
_LENGTH = 4


class BackupRefused(Exception):
    """The file is not a backup this key can open, or it is damaged: nothing was changed."""


@dataclass(frozen=True)
class Header:
    backup_id: str
    recipients: tuple[tuple[bytes, bytes], ...]  # (public key, sealed data key)
    raw: bytes  # MAGIC .. end of header: bound to the stream as associated data

    @property
    def digest(self) -> bytes:
        return hashlib.sha256(self.raw).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def write_backup(sink: BinaryIO, recipients: Iterable[bytes], records: Iterator[bytes | memoryview]) -> str:
    """Write a backup of `records` (framed, in pieces of any size) to sink, sealed to each recipient; return its id."""
    public_keys = list(dict.fromkeys(recipients))  # each key once, order kept
    if not public_keys:
        raise ValueError("a backup needs at least one recipient")
    data_key = random_key()
    backup_id = secrets.token_hex(16)
    body = json.dumps(
        {
            "format": FORMAT,
            "backup_id": backup_id,
            # A recipient is only its public key: a seized backup names no organisation.
            "recipients": [
                {"public_key": _b64(key), "sealed_key": _b64(seal_for(key, data_key))} for key in public_keys
            ],
        },
        sort_keys=True,
    ).encode()
    raw = MAGIC + len(body).to_bytes(_LENGTH, "big") + body
    sink.write(raw)
    encryptor = StreamEncryptor(data_key, sink, ad=hashlib.sha256(raw).digest(), chunk_size=MAX_CHUNK_BYTES)
    for piece in records:
        encryptor.write(piece)
    encryptor.close()
    return backup_id


def read_header(source: BinaryIO) -> Header:
    """Read and check the clear header; BackupRefused if this is not a Refuge backup."""
    start = source.read(len(MAGIC) + _LENGTH)
    if len(start) < len(MAGIC) + _LENGTH or start[: len(MAGIC)] != MAGIC:
        raise BackupRefused("this file is not a Refuge backup (or not one this version can read)")
    length = int.from_bytes(start[len(MAGIC) :], "big")
    if length > MAX_HEADER_BYTES:
        raise BackupRefused("the backup's header is damaged")
    body = source.read(length)
    try:
        parsed = json.loads(body)
        recipients = tuple(
            (base64.b64decode(item["public_key"], validate=True), base64.b64decode(item["sealed_key"], validate=True))
            for item in parsed["recipients"][:MAX_RECIPIENTS]
        )
        backup_id = str(parsed["backup_id"])
        if parsed["format"] != FORMAT:
            raise BackupRefused(f"this backup has format {parsed['format']!r}; this version reads format {FORMAT}")
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BackupRefused("the backup's header is damaged") from None
    return Header(backup_id=backup_id, recipients=recipients, raw=start + body)


def open_data_key(header: Header, private_key: bytes) -> bytes:
    """The backup's data key, opened with one recipient's private key; BackupRefused if it is not one."""
    try:
        public = public_key_of(private_key)
    except ValueError:
        raise BackupRefused("the key given is not an X25519 private key") from None
    for recipient, sealed in header.recipients:
        if recipient == public:
            try:
                return open_sealed(private_key, sealed)
            except CryptoError:
                raise BackupRefused("the backup's header is damaged") from None
    raise BackupRefused(
        "this backup is not encrypted to the key given: it was made for another organisation or installation, "
        "or with other backup keys"
    )


def frame(kind: bytes, body: bytes) -> bytes:
    """One record: kind, length, body."""
    return kind + len(body).to_bytes(_LENGTH, "big") + body


def iter_records(source: BinaryIO, header: Header, data_key: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Yield (kind, body) for each record as the stream authenticates; BackupRefused on any damage.

    A record is yielded only once every byte of it has authenticated; damage later in
    the file raises after earlier records were yielded, so callers keep their work in
    one transaction (restore) or keep nothing (verify).
    """
    buffer = bytearray()
    position = 0  # records before it are consumed: compacted once per chunk, not per record
    chunks = iter_decrypted_stream(data_key, source, ad=header.digest)
    try:
        for chunk in chunks:
            del buffer[:position]
            position = 0
            buffer += chunk
            while len(buffer) - position >= 1 + _LENGTH:
                length = int.from_bytes(buffer[position + 1 : position + 1 + _LENGTH], "big")
                if length > MAX_RECORD_BYTES:
                    raise BackupRefused("the backup is damaged (a record is too long)")
                end = position + 1 + _LENGTH + length
                if len(buffer) < end:
                    break
                yield bytes(buffer[position : position + 1]), bytes(buffer[position + 1 + _LENGTH : end])
                position = end
    except CryptoError:
        raise BackupRefused(
            "the backup is damaged: it was cut short, changed, or pieced together from other files"
        ) from None
    if len(buffer) > position:
        raise BackupRefused("the backup is damaged (it ends inside a record)")
