"""File encryption in chunks with libsodium secretstream, in bounded memory.

Format: MAGIC (5 bytes) + secretstream header (24), then chunks, each a 4-byte
big-endian ciphertext length and the ciphertext; the last chunk carries TAG_FINAL.

Decryption writes each chunk's plaintext to the sink as soon as it authenticates, so
when it raises CryptoError the sink may already hold the start of the file. Callers
must decrypt to a temporary location and discard it on CryptoError, never serve or
keep a partial result.
"""

from collections.abc import Iterator
from typing import BinaryIO

import nacl.bindings
import nacl.exceptions

from refuge.crypto.errors import CryptoError
from refuge.crypto.keys import KEY_BYTES

CHUNK_BYTES = 64 * 1024
# The largest chunk a reader accepts: a tampered length cannot make it buffer more.
MAX_CHUNK_BYTES = 1024 * 1024
MAGIC = b"RFGS\x01"

_ABYTES = nacl.bindings.crypto_secretstream_xchacha20poly1305_ABYTES
_HEADER_BYTES = nacl.bindings.crypto_secretstream_xchacha20poly1305_HEADERBYTES
_TAG_MESSAGE = nacl.bindings.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = nacl.bindings.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_LENGTH_BYTES = 4


def encrypt_stream(
    key: bytes,
    source: BinaryIO,
    sink: BinaryIO,
    ad: bytes = b"",
    chunk_size: int = CHUNK_BYTES,
) -> int:
    """Encrypt source into sink in chunks; return the number of plaintext bytes."""
    if len(key) != KEY_BYTES:
        raise ValueError("key must be 32 bytes")
    if not 1 <= chunk_size <= MAX_CHUNK_BYTES:
        raise ValueError("chunk_size out of range")
    state = nacl.bindings.crypto_secretstream_xchacha20poly1305_state()
    sink.write(MAGIC + nacl.bindings.crypto_secretstream_xchacha20poly1305_init_push(state, key))
    total = 0
    chunk = _read_exact(source, chunk_size)
    while True:
        # Read one chunk ahead so the last chunk, even an empty one, is tagged FINAL:
        # that tag is what lets the reader detect a file cut short.
        following = _read_exact(source, chunk_size) if len(chunk) == chunk_size else b""
        tag = _TAG_MESSAGE if following else _TAG_FINAL
        ciphertext = nacl.bindings.crypto_secretstream_xchacha20poly1305_push(state, chunk, MAGIC + ad, tag)
        sink.write(len(ciphertext).to_bytes(_LENGTH_BYTES, "big") + ciphertext)
        total += len(chunk)
        if tag == _TAG_FINAL:
            return total
        chunk = following


class StreamEncryptor:
    """encrypt_stream for a writer that hands over pieces: the same format, written as they come.

    For a producer that has many small and some large pieces (a backup's records): each
    piece is cut into chunks without first being joined to the others, and a full chunk
    waits only until the next byte arrives (it is then not the last, TAG_MESSAGE) or until
    close() (the last, TAG_FINAL), exactly as encrypt_stream reads one chunk ahead. Memory
    stays at one chunk plus the piece being written.
    """

    def __init__(self, key: bytes, sink: BinaryIO, ad: bytes = b"", chunk_size: int = CHUNK_BYTES) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("key must be 32 bytes")
        if not 1 <= chunk_size <= MAX_CHUNK_BYTES:
            raise ValueError("chunk_size out of range")
        self._state = nacl.bindings.crypto_secretstream_xchacha20poly1305_state()
        self._sink = sink
        self._ad = MAGIC + ad
        self._chunk_size = chunk_size
        self._pending = bytearray()
        self._held: bytes | None = None  # a full chunk, pushed once it is known not to be the last
        self.total = 0
        sink.write(MAGIC + nacl.bindings.crypto_secretstream_xchacha20poly1305_init_push(self._state, key))

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Add plaintext; whole chunks are encrypted and written as soon as a byte follows them."""
        view = memoryview(data)
        self.total += len(view)
        size = self._chunk_size
        while len(view):
            if self._held is not None:
                self._push(self._held, _TAG_MESSAGE)
                self._held = None
            if not self._pending and len(view) >= size:
                # A whole chunk straight from the caller's piece: one copy, no joining.
                self._held = bytes(view[:size])
                view = view[size:]
                continue
            room = size - len(self._pending)
            self._pending += view[:room]
            view = view[room:]
            if len(self._pending) == size:
                self._held = bytes(self._pending)
                self._pending.clear()

    def close(self) -> int:
        """Write the last chunk, tagged FINAL (empty only if nothing was written); return the plaintext length."""
        if self._held is not None and not self._pending:
            self._push(self._held, _TAG_FINAL)
        else:
            if self._held is not None:
                self._push(self._held, _TAG_MESSAGE)
            self._push(bytes(self._pending), _TAG_FINAL)
        self._held = None
        self._pending.clear()
        return self.total

    def _push(self, chunk: bytes, tag: int) -> None:
        ciphertext = nacl.bindings.crypto_secretstream_xchacha20poly1305_push(self._state, chunk, self._ad, tag)
        # Two writes rather than one joined copy of a chunk.
        self._sink.write(len(ciphertext).to_bytes(_LENGTH_BYTES, "big"))
        self._sink.write(ciphertext)


def decrypt_stream(key: bytes, source: BinaryIO, sink: BinaryIO, ad: bytes = b"") -> int:
    """Decrypt source into sink; CryptoError on wrong key, tamper, truncation or excess.

    On CryptoError the sink may hold plaintext of earlier chunks: write to a temporary
    location and discard it on error.
    """
    state = _start_pull(key, source)
    total = 0
    while True:
        plaintext, tag = _pull_chunk(state, source, MAGIC + ad)
        sink.write(plaintext)
        total += len(plaintext)
        if tag == _TAG_FINAL:
            break
        # We only ever write MESSAGE and FINAL; any other tag is not ours.
        if tag != _TAG_MESSAGE:
            raise CryptoError("stream did not open")
    # Data after FINAL would be silently ignored otherwise: refuse it.
    if source.read(1):
        raise CryptoError("stream did not open")
    return total


def iter_decrypted_stream(key: bytes, source: BinaryIO, ad: bytes = b"") -> Iterator[bytes]:
    """Yield each chunk's plaintext as it authenticates; CryptoError as decrypt_stream.

    For readers that parse as they go (a backup being verified or restored): the error
    may come after earlier chunks were yielded, so the reader must undo what it did with
    them (the restore runs in one transaction) or keep nothing of them (verify).
    """
    state = _start_pull(key, source)
    while True:
        plaintext, tag = _pull_chunk(state, source, MAGIC + ad)
        if tag not in (_TAG_MESSAGE, _TAG_FINAL):
            raise CryptoError("stream did not open")
        if plaintext:
            yield plaintext
        if tag == _TAG_FINAL:
            break
    if source.read(1):
        raise CryptoError("stream did not open")


def _start_pull(key: bytes, source: BinaryIO) -> nacl.bindings.crypto_secretstream_xchacha20poly1305_state:
    """Check the magic and read the header into a fresh pull state."""
    prefix = _read_exact(source, len(MAGIC) + _HEADER_BYTES)
    if len(key) != KEY_BYTES or len(prefix) != len(MAGIC) + _HEADER_BYTES:
        raise CryptoError("stream did not open")
    if prefix[: len(MAGIC)] != MAGIC:
        raise CryptoError("stream did not open")
    state = nacl.bindings.crypto_secretstream_xchacha20poly1305_state()
    nacl.bindings.crypto_secretstream_xchacha20poly1305_init_pull(state, prefix[len(MAGIC) :], key)
    return state


def _pull_chunk(
    state: nacl.bindings.crypto_secretstream_xchacha20poly1305_state,
    source: BinaryIO,
    ad: bytes,
) -> tuple[bytes, int]:
    """Read, bound-check and authenticate one chunk; return its plaintext and tag."""
    length_bytes = _read_exact(source, _LENGTH_BYTES)
    if len(length_bytes) != _LENGTH_BYTES:
        # End of input before a FINAL chunk: the file was cut short.
        raise CryptoError("stream did not open")
    length = int.from_bytes(length_bytes, "big")
    if not _ABYTES <= length <= MAX_CHUNK_BYTES + _ABYTES:
        raise CryptoError("stream did not open")
    ciphertext = _read_exact(source, length)
    if len(ciphertext) != length:
        raise CryptoError("stream did not open")
    try:
        return nacl.bindings.crypto_secretstream_xchacha20poly1305_pull(state, ciphertext, ad)
    except nacl.exceptions.CryptoError as error:
        raise CryptoError("stream did not open") from error


def _read_exact(source: BinaryIO, size: int) -> bytes:
    """Read up to size bytes, looping over short reads; fewer only at end of input."""
    parts = []
    remaining = size
    while remaining:
        part = source.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)
