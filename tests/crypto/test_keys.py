"""Keypairs and sealed boxes: how case keys reach their holders."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import (
    KEY_BYTES,
    CryptoError,
    generate_keypair,
    open_sealed,
    public_key_of,
    random_key,
    seal_for,
)

ALICE = generate_keypair()
BOB = generate_keypair()


def test_random_keys_are_32_bytes_and_never_repeat() -> None:
    keys = {random_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(len(key) == KEY_BYTES for key in keys)


def test_a_keypair_never_shows_its_private_key_in_repr_or_str() -> None:
    assert ALICE.private.hex() not in repr(ALICE)
    assert repr(ALICE.private) not in repr(ALICE)
    assert repr(ALICE.private) not in str(ALICE)
    assert "private" not in repr(ALICE)


def test_the_public_key_is_derived_from_the_private_key() -> None:
    assert public_key_of(ALICE.private) == ALICE.public
    assert len(ALICE.public) == len(ALICE.private) == KEY_BYTES
    assert ALICE.public != BOB.public


def test_public_key_of_refuses_a_short_key() -> None:
    with pytest.raises(ValueError):
        public_key_of(b"\x01" * 31)


@settings(deadline=None)
@given(st.binary(max_size=4096))
def test_a_sealed_secret_opens_for_its_recipient(secret: bytes) -> None:
    assert open_sealed(ALICE.private, seal_for(ALICE.public, secret)) == secret


def test_sealing_twice_gives_different_ciphertexts() -> None:
    # An observer cannot tell that two members hold the same case key.
    assert seal_for(ALICE.public, b"k" * 32) != seal_for(ALICE.public, b"k" * 32)


def test_a_sealed_secret_does_not_open_for_anyone_else() -> None:
    sealed = seal_for(ALICE.public, b"case key")
    with pytest.raises(CryptoError):
        open_sealed(BOB.private, sealed)


@settings(deadline=None)
@given(st.data())
def test_a_flipped_byte_anywhere_stops_a_sealed_box_opening(
    data: st.DataObject,
) -> None:
    sealed = bytearray(seal_for(ALICE.public, b"case key"))
    position = data.draw(st.integers(0, len(sealed) - 1))
    sealed[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        open_sealed(ALICE.private, bytes(sealed))


@pytest.mark.parametrize("length", [0, 1, 32, 47])
def test_a_truncated_sealed_box_raises_crypto_error(length: int) -> None:
    sealed = seal_for(ALICE.public, b"")
    assert len(sealed) == 48  # ephemeral public key and tag
    with pytest.raises(CryptoError):
        open_sealed(ALICE.private, sealed[:length])


def test_open_sealed_with_a_key_of_the_wrong_length_raises_crypto_error() -> None:
    sealed = seal_for(ALICE.public, b"case key")
    with pytest.raises(CryptoError):
        open_sealed(ALICE.private[:16], sealed)


def test_sealing_to_a_malformed_or_low_order_public_key_is_refused() -> None:
    with pytest.raises(ValueError):
        seal_for(b"\x01" * 16, b"case key")
    with pytest.raises(ValueError):
        seal_for(bytes(32), b"case key")
