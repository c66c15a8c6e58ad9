"""Audit log signatures and hash chain."""

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import (
    CryptoError,
    chain_hash,
    generate_signing_keypair,
    sha256_hex,
    sign,
    signing_public_key_of,
    verify_signature,
)

WITNESS = generate_signing_keypair()
GENESIS = bytes(32)


@settings(deadline=None)
@given(st.binary(max_size=1024))
def test_a_signature_verifies_for_its_message(message: bytes) -> None:
    signature = sign(WITNESS.private, message)
    assert len(signature) == 64
    verify_signature(WITNESS.public, message, signature)


def test_a_signing_keypair_is_an_ed25519_seed_and_public_key() -> None:
    assert len(WITNESS.private) == len(WITNESS.public) == 32
    assert WITNESS.private.hex() not in repr(WITNESS)


@settings(deadline=None)
@given(st.data())
def test_an_edited_checkpoint_or_signature_fails_to_verify(data: st.DataObject) -> None:
    message = b"checkpoint 1042 " + bytes(32)
    signature = sign(WITNESS.private, message)
    forged = bytearray(message + signature)
    position = data.draw(st.integers(0, len(forged) - 1))
    forged[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        verify_signature(WITNESS.public, bytes(forged[:-64]), bytes(forged[-64:]))


def test_a_signature_by_another_key_or_malformed_input_fails_to_verify() -> None:
    signature = sign(generate_signing_keypair().private, b"checkpoint")
    with pytest.raises(CryptoError):
        verify_signature(WITNESS.public, b"checkpoint", signature)
    with pytest.raises(CryptoError):
        verify_signature(WITNESS.public, b"checkpoint", signature[:63])
    with pytest.raises(CryptoError):
        verify_signature(WITNESS.public[:31], b"checkpoint", signature)


def test_signing_with_a_malformed_key_is_refused() -> None:
    with pytest.raises(ValueError):
        sign(b"k" * 31, b"checkpoint")


def test_chain_hash_is_sha256_of_previous_and_length_prefixed_payload() -> None:
    expected = hashlib.sha256(GENESIS + (5).to_bytes(8, "big") + b"entry").digest()
    assert chain_hash(GENESIS, b"entry") == expected


def test_chain_hash_keeps_entry_boundaries_unambiguous() -> None:
    assert chain_hash(chain_hash(GENESIS, b"ab"), b"c") != chain_hash(chain_hash(GENESIS, b"a"), b"bc")


def test_reordering_or_deleting_entries_changes_the_head() -> None:
    entries = [b"case opened", b"shelter assigned", b"visa filed"]

    def head(items: list[bytes]) -> bytes:
        link = GENESIS
        for item in items:
            link = chain_hash(link, item)
        return link

    assert head(entries) != head(entries[::-1])
    assert head(entries) != head(entries[:1] + entries[2:])


def test_chain_hash_refuses_a_previous_link_that_is_not_a_hash() -> None:
    with pytest.raises(ValueError):
        chain_hash(b"\x00" * 31, b"entry")


def test_sha256_hex_matches_the_standard_vector() -> None:
    assert sha256_hex(b"abc") == ("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_the_public_key_of_a_signing_seed_matches_the_generated_pair() -> None:
    pair = generate_signing_keypair()
    assert signing_public_key_of(pair.private) == pair.public
    with pytest.raises(ValueError):
        signing_public_key_of(b"short")
