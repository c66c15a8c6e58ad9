"""StreamEncryptor writes what encrypt_stream writes, from pieces handed over one by one (backups use it)."""

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import CryptoError, StreamEncryptor, decrypt_stream, encrypt_stream, random_key

KEY = random_key()
HEADER = 5 + 24


def _chunk_lengths(blob: bytes) -> list[int]:
    """The ciphertext length of every chunk, in order (the format's framing)."""
    lengths, position = [], HEADER
    while position < len(blob):
        length = int.from_bytes(blob[position : position + 4], "big")
        lengths.append(length)
        position += 4 + length
    assert position == len(blob)
    return lengths


def _written(pieces: list[bytes], chunk_size: int, ad: bytes = b"") -> bytes:
    sink = io.BytesIO()
    encryptor = StreamEncryptor(KEY, sink, ad, chunk_size)
    for piece in pieces:
        encryptor.write(piece)
    assert encryptor.close() == sum(len(piece) for piece in pieces)
    return sink.getvalue()


def _opened(blob: bytes, ad: bytes = b"") -> bytes:
    sink = io.BytesIO()
    decrypt_stream(KEY, io.BytesIO(blob), sink, ad)
    return sink.getvalue()


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 40), st.lists(st.binary(max_size=120), max_size=12))
def test_pieces_of_any_size_give_the_chunks_encrypt_stream_gives(chunk_size: int, pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    blob = _written(pieces, chunk_size, b"backup")
    reference = io.BytesIO()
    encrypt_stream(KEY, io.BytesIO(data), reference, b"backup", chunk_size)
    # Same chunks, same tags: only the random nonce differs, so the framing and sizes are equal.
    assert _chunk_lengths(blob) == _chunk_lengths(reference.getvalue())
    assert len(blob) == len(reference.getvalue())
    assert _opened(blob, b"backup") == data


@pytest.mark.parametrize("sizes", [[], [0], [8], [16], [24, 8], [3, 5], [40], [7, 9, 16, 0, 1]])
def test_exact_multiples_and_empty_writes_end_with_one_final_chunk(sizes: list[int]) -> None:
    pieces = [bytes([n]) * n for n in sizes]
    blob = _written(pieces, 8)
    assert _opened(blob) == b"".join(pieces)
    total = sum(sizes)
    assert len(_chunk_lengths(blob)) == max(1, -(-total // 8))


def test_a_stream_cut_at_a_chunk_boundary_does_not_open() -> None:
    blob = _written([b"x" * 24], 8)
    cut = HEADER + 2 * (4 + 8 + 17)
    with pytest.raises(CryptoError):
        _opened(blob[:cut])


def test_memoryviews_and_bytearrays_are_pieces_too() -> None:
    data = bytes(range(256)) * 10
    blob = _written([memoryview(data)[:1000], bytearray(data[1000:])], 64)
    assert _opened(blob) == data


@pytest.mark.parametrize("chunk_size", [0, 1024 * 1024 + 1])
def test_an_unsupported_chunk_size_is_refused(chunk_size: int) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        StreamEncryptor(KEY, io.BytesIO(), b"", chunk_size)
