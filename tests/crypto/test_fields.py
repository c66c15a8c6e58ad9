"""Field envelopes: a value opens only with its key, in its own place."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import (
    CryptoError,
    associated_data,
    decrypt_field,
    encrypt_field,
    random_key,
    unwrap_with_key,
    wrap_with_key,
)

KEY = random_key()
AD = associated_data("cases_person", "legal_name", "0b7e5c", 1)
places = st.tuples(st.text(), st.text(), st.text(), st.integers(0, 2**32 - 1))


@settings(deadline=None)
@given(st.binary(max_size=4096))
def test_a_field_round_trips(plaintext: bytes) -> None:
    assert decrypt_field(KEY, encrypt_field(KEY, plaintext, AD), AD) == plaintext


def test_a_blob_is_version_nonce_ciphertext_and_tag() -> None:
    blob = encrypt_field(KEY, b"Ivan", AD)
    assert blob[0] == 1
    assert len(blob) == 1 + 24 + len(b"Ivan") + 16


def test_equal_values_encrypt_differently() -> None:
    # Random nonces: equal names in two rows are not visible as equal in a dump.
    assert encrypt_field(KEY, b"Ivan", AD) != encrypt_field(KEY, b"Ivan", AD)


@settings(deadline=None)
@given(places, places)
def test_different_places_never_share_associated_data(
    first: tuple[str, str, str, int], second: tuple[str, str, str, int]
) -> None:
    if first != second:
        assert associated_data(*first) != associated_data(*second)


def test_associated_data_is_unambiguous_across_boundaries() -> None:
    assert associated_data("ab", "c", "1", 1) != associated_data("a", "bc", "1", 1)
    assert associated_data("a", "b", "c1", 1) != associated_data("a", "bc", "1", 1)


@pytest.mark.parametrize("version", [-1, 2**32])
def test_a_key_version_out_of_range_is_refused(version: int) -> None:
    with pytest.raises(ValueError):
        associated_data("t", "c", "r", version)


@pytest.mark.parametrize(
    "other",
    [
        ("cases_person", "legal_name", "0b7e5d", 1),
        ("cases_person", "pseudonym", "0b7e5c", 1),
        ("cases_note", "legal_name", "0b7e5c", 1),
        ("cases_person", "legal_name", "0b7e5c", 2),
    ],
)
def test_a_ciphertext_moved_to_another_place_does_not_open(
    other: tuple[str, str, str, int],
) -> None:
    blob = encrypt_field(KEY, b"Ivan", AD)
    with pytest.raises(CryptoError):
        decrypt_field(KEY, blob, associated_data(*other))


@settings(deadline=None)
@given(st.data())
def test_a_flipped_byte_anywhere_stops_a_field_opening(data: st.DataObject) -> None:
    blob = bytearray(encrypt_field(KEY, data.draw(st.binary(max_size=64)), AD))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        decrypt_field(KEY, bytes(blob), AD)


def test_a_field_does_not_open_with_another_key() -> None:
    with pytest.raises(CryptoError):
        decrypt_field(random_key(), encrypt_field(KEY, b"Ivan", AD), AD)


@settings(deadline=None)
@given(st.integers(0, 1 + 24 + 16 + 3))
def test_a_truncated_field_raises_crypto_error(length: int) -> None:
    blob = encrypt_field(KEY, b"Ivan", AD)
    with pytest.raises(CryptoError):
        decrypt_field(KEY, blob[:length], AD)


def test_a_key_of_the_wrong_length_cannot_open_but_is_a_bug_to_encrypt_with() -> None:
    blob = encrypt_field(KEY, b"Ivan", AD)
    with pytest.raises(CryptoError):
        decrypt_field(KEY[:31], blob, AD)
    with pytest.raises(ValueError):
        encrypt_field(KEY[:31], b"Ivan", AD)


def test_a_key_wrap_is_not_accepted_as_a_field_and_back() -> None:
    # The authenticated format byte stops one kind of blob standing in for another.
    with pytest.raises(CryptoError):
        decrypt_field(KEY, wrap_with_key(b"Ivan", KEY, AD), AD)
    with pytest.raises(CryptoError):
        unwrap_with_key(encrypt_field(KEY, b"Ivan", AD), KEY, AD)
