"""Chunked file encryption: bounded memory, and a cut or edited file never opens."""

import io

import nacl.bindings
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import (
    CHUNK_BYTES,
    CryptoError,
    decrypt_stream,
    encrypt_stream,
    random_key,
)

KEY = random_key()
MAGIC_AND_HEADER = 5 + 24
OVERHEAD = 4 + 17  # length prefix and secretstream tag, per chunk


def encrypt(data: bytes, ad: bytes = b"", chunk_size: int = CHUNK_BYTES) -> bytes:
    sink = io.BytesIO()
    assert encrypt_stream(KEY, io.BytesIO(data), sink, ad, chunk_size) == len(data)
    return sink.getvalue()


def decrypt(blob: bytes, ad: bytes = b"", key: bytes = KEY) -> bytes:
    sink = io.BytesIO()
    written = decrypt_stream(key, io.BytesIO(blob), sink, ad)
    assert written == len(sink.getvalue())
    return sink.getvalue()


class TrickleReader(io.BytesIO):
    """A source that returns at most a few bytes per read, like a slow socket."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__(data)
        self.step = step
        self.largest_request = 0

    def read(self, size: int | None = -1) -> bytes:
        size = -1 if size is None else size
        self.largest_request = max(self.largest_request, size)
        return super().read(self.step if size < 0 else min(size, self.step))


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 64), st.binary(max_size=300))
def test_a_stream_round_trips_at_any_size_and_chunk_size(chunk_size: int, data: bytes) -> None:
    blob = encrypt(data, b"evidence:7", chunk_size)
    chunks = max(1, -(-len(data) // chunk_size))
    assert len(blob) == MAGIC_AND_HEADER + len(data) + chunks * OVERHEAD
    assert decrypt(blob, b"evidence:7") == data


@pytest.mark.parametrize("size", [0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, 2 * CHUNK_BYTES, 3 * CHUNK_BYTES + 5])
def test_a_stream_round_trips_at_chunk_boundaries(size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert decrypt(encrypt(data)) == data


def test_an_exact_multiple_of_the_chunk_size_is_cut_detectably_at_a_boundary() -> None:
    blob = encrypt(b"a" * 8, chunk_size=4)
    assert len(blob) == MAGIC_AND_HEADER + 2 * (4 + OVERHEAD)  # the last full chunk is FINAL
    # Cut at the chunk boundary the rest is well formed, but no chunk is FINAL.
    with pytest.raises(CryptoError):
        decrypt(blob[: MAGIC_AND_HEADER + 4 + OVERHEAD])


def test_empty_input_still_writes_a_final_chunk() -> None:
    blob = encrypt(b"")
    assert len(blob) == MAGIC_AND_HEADER + OVERHEAD
    assert decrypt(blob) == b""


def test_encryption_reads_at_most_one_chunk_at_a_time_and_survives_short_reads() -> None:
    data = bytes(range(256)) * 40
    source = TrickleReader(data, step=7)
    sink = io.BytesIO()
    assert encrypt_stream(KEY, source, sink, chunk_size=1000) == len(data)
    assert source.largest_request <= 1000
    assert decrypt_stream(KEY, TrickleReader(sink.getvalue(), step=3), io.BytesIO()) == len(data)


def test_every_cut_point_of_a_small_stream_raises_crypto_error() -> None:
    blob = encrypt(b"testimony " * 5, chunk_size=8)
    for length in range(len(blob)):
        with pytest.raises(CryptoError):
            decrypt(blob[:length])


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_a_flipped_byte_anywhere_stops_a_stream_opening(data: st.DataObject) -> None:
    blob = bytearray(encrypt(b"testimony " * 5, chunk_size=16))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        decrypt(bytes(blob))


def test_a_stream_does_not_open_with_another_key_or_ad() -> None:
    blob = encrypt(b"testimony", b"evidence:7")
    with pytest.raises(CryptoError):
        decrypt(blob, b"evidence:7", key=random_key())
    with pytest.raises(CryptoError):
        decrypt(blob, b"evidence:8")
    with pytest.raises(CryptoError):
        decrypt(blob, b"evidence:7", key=KEY[:31])


def test_trailing_data_after_the_final_chunk_raises_crypto_error() -> None:
    with pytest.raises(CryptoError):
        decrypt(encrypt(b"testimony") + b"\x00")


def test_chunks_from_another_stream_do_not_splice_in() -> None:
    first = encrypt(b"aaaa" * 4, chunk_size=4)
    second = encrypt(b"bbbb" * 4, chunk_size=4)
    spliced = first[: MAGIC_AND_HEADER + 2 * (4 + OVERHEAD)] + second[MAGIC_AND_HEADER + 2 * (4 + OVERHEAD) :]
    with pytest.raises(CryptoError):
        decrypt(spliced)


@pytest.mark.parametrize("length", [0, 16, 1024 * 1024 + 18, 2**32 - 1])
def test_an_absurd_chunk_length_is_refused_before_reading_it(length: int) -> None:
    blob = encrypt(b"testimony")
    forged = blob[:MAGIC_AND_HEADER] + length.to_bytes(4, "big") + blob[MAGIC_AND_HEADER + 4 :]
    with pytest.raises(CryptoError):
        decrypt(forged)


def test_a_stream_with_the_wrong_magic_raises_crypto_error() -> None:
    blob = encrypt(b"testimony")
    with pytest.raises(CryptoError):
        decrypt(b"RFGS\x02" + blob[5:])


def test_a_chunk_with_a_tag_we_never_write_raises_crypto_error() -> None:
    # Forged with the real key, as an insider could: a PUSH tag is not ours.
    state = nacl.bindings.crypto_secretstream_xchacha20poly1305_state()
    header = nacl.bindings.crypto_secretstream_xchacha20poly1305_init_push(state, KEY)
    chunk = nacl.bindings.crypto_secretstream_xchacha20poly1305_push(
        state,
        b"x",
        b"RFGS\x01",
        nacl.bindings.crypto_secretstream_xchacha20poly1305_TAG_PUSH,
    )
    forged = b"RFGS\x01" + header + len(chunk).to_bytes(4, "big") + chunk
    with pytest.raises(CryptoError):
        decrypt(forged)


@pytest.mark.parametrize("chunk_size", [0, -1, 1024 * 1024 + 1])
def test_encrypting_with_an_unsupported_chunk_size_is_refused(chunk_size: int) -> None:
    with pytest.raises(ValueError):
        encrypt_stream(KEY, io.BytesIO(b"x"), io.BytesIO(), chunk_size=chunk_size)


def test_encrypting_with_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError):
        encrypt_stream(KEY[:31], io.BytesIO(b"x"), io.BytesIO())
