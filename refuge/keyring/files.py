"""Files encrypted in chunks under their own key, stored in a row that names a record key.

A row holding a file has the registered columns `file_key`, `name` and `removed`
(encrypted under the row's record key) and `data` (secretstream ciphertext under the
file key). Rotating the record key re-encrypts 32 bytes per file, not the file. Used by
request files (intake), case documents and the files inside compartments (cases).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence

from django.db import models

from refuge.crypto import decrypt_stream, encrypt_stream, random_key
from refuge.keyring.models import Key
from refuge.keyring.registry import decrypt_column, encrypt_column


def encrypt_file_into(
    row: models.Model, data: bytes, name: str, removed: Sequence[str], secret: bytes, key: Key
) -> None:
    """Fill the row's file columns (not saved): content under a fresh file key, the rest under key."""
    file_key = random_key()
    sink = io.BytesIO()
    # The row id is bound in: a ciphertext moved to another file row fails to open.
    encrypt_stream(file_key, io.BytesIO(data), sink, ad=str(row.pk).encode())
    row.data = sink.getvalue()  # type: ignore[attr-defined]
    encrypt_column(row, "file_key", file_key, secret, key)
    encrypt_column(row, "name", name, secret, key)
    encrypt_column(row, "removed", json.dumps(list(removed)), secret, key)


def decrypt_file_content(row: models.Model, secret: bytes, key: Key) -> bytes:
    """A file's content (CryptoError if tampered with or truncated)."""
    file_key = decrypt_column(row, "file_key", secret, key)
    sink = io.BytesIO()
    decrypt_stream(file_key, io.BytesIO(bytes(row.data)), sink, ad=str(row.pk).encode())  # type: ignore[attr-defined]
    return sink.getvalue()
