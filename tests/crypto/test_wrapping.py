"""Private keys wrapped under passwords and recovery codes."""

import re
import struct
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import (
    PRODUCTION_KDF,
    TEST_KDF,
    CryptoError,
    KdfParams,
    derive_password_key,
    derive_subkey,
    new_recovery_code,
    password_verifier,
    random_key,
    recovery_key_from_code,
    unwrap_with_key,
    unwrap_with_password,
    unwrap_with_password_key,
    wrap_with_key,
    wrap_with_password,
)

SECRET = random_key()
KDF_SETTINGS = settings(max_examples=20, deadline=None)
RECOVERY_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){7}$")
HEADER = struct.Struct(">BIQ16s")


def test_production_parameters_meet_the_design_minimum() -> None:
    assert PRODUCTION_KDF.opslimit >= 3
    assert PRODUCTION_KDF.memlimit >= 64 * 1024 * 1024


@KDF_SETTINGS
@given(st.binary(max_size=64), st.text(min_size=1))
def test_a_password_wrap_round_trips(secret: bytes, password: str) -> None:
    blob = wrap_with_password(secret, password, TEST_KDF)
    assert unwrap_with_password(blob, password) == secret


def test_the_blob_records_its_kdf_parameters() -> None:
    params = KdfParams(opslimit=2, memlimit=16384)
    blob = wrap_with_password(SECRET, "correct horse", params)
    version, opslimit, memlimit, _salt = HEADER.unpack_from(blob)
    assert (version, opslimit, memlimit) == (0x21, 2, 16384)
    assert unwrap_with_password(blob, "correct horse") == SECRET


def test_the_same_password_wraps_differently_each_time() -> None:
    first = wrap_with_password(SECRET, "correct horse", TEST_KDF)
    assert first != wrap_with_password(SECRET, "correct horse", TEST_KDF)


@KDF_SETTINGS
@given(st.text(min_size=1))
def test_a_wrong_password_raises_crypto_error(password: str) -> None:
    blob = wrap_with_password(SECRET, "correct horse", TEST_KDF)
    if unicodedata.normalize("NFC", password) != "correct horse":
        with pytest.raises(CryptoError):
            unwrap_with_password(blob, password)


def test_a_password_typed_composed_or_decomposed_unlocks_alike() -> None:
    composed = unicodedata.normalize("NFC", "йод-пароль")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    blob = wrap_with_password(SECRET, composed, TEST_KDF)
    assert unwrap_with_password(blob, decomposed) == SECRET


def test_a_password_with_a_lone_surrogate_still_works() -> None:
    blob = wrap_with_password(SECRET, "pass\ud800word", TEST_KDF)
    assert unwrap_with_password(blob, "pass\ud800word") == SECRET
    with pytest.raises(CryptoError):
        unwrap_with_password(blob, "pass\ud801word")


@KDF_SETTINGS
@given(st.data())
def test_a_flipped_byte_anywhere_stops_a_password_wrap_opening(
    data: st.DataObject,
) -> None:
    blob = bytearray(wrap_with_password(SECRET, "correct horse", TEST_KDF))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        unwrap_with_password(bytes(blob), "correct horse")


@pytest.mark.parametrize("length", [0, 1, HEADER.size - 1, HEADER.size, HEADER.size + 39])
def test_a_truncated_password_wrap_raises_crypto_error(length: int) -> None:
    blob = wrap_with_password(SECRET, "correct horse", TEST_KDF)
    with pytest.raises(CryptoError):
        unwrap_with_password(blob[:length], "correct horse")


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [
        (21, 8192),
        (2**32 - 1, 8192),
        (1, 2**30 + 1024),
        (1, 2**63),
        (0, 8192),
        (1, 1024),
    ],
)
def test_a_blob_asking_for_absurd_kdf_work_is_refused_before_hashing(opslimit: int, memlimit: int) -> None:
    # A tampered row must not make the server allocate gigabytes or spin for minutes.
    blob = wrap_with_password(SECRET, "correct horse", TEST_KDF)
    _version, _ops, _mem, salt = HEADER.unpack_from(blob)
    forged = HEADER.pack(0x21, opslimit, memlimit, salt) + blob[HEADER.size :]
    with pytest.raises(CryptoError):
        unwrap_with_password(forged, "correct horse")


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(opslimit=0, memlimit=8192),
        KdfParams(opslimit=21, memlimit=8192),
        KdfParams(opslimit=1, memlimit=8191),
        KdfParams(opslimit=1, memlimit=2**30 + 1),
    ],
)
def test_wrapping_with_unsupported_parameters_is_refused(params: KdfParams) -> None:
    with pytest.raises(ValueError):
        wrap_with_password(SECRET, "correct horse", params)


def test_wrapping_under_an_empty_password_is_refused() -> None:
    with pytest.raises(ValueError):
        wrap_with_password(SECRET, "", TEST_KDF)


def test_a_recovery_code_is_eight_groups_of_four_crockford_symbols() -> None:
    for _ in range(200):
        assert RECOVERY_CODE.match(new_recovery_code())


def test_recovery_codes_carry_160_random_bits() -> None:
    codes = [new_recovery_code().replace("-", "") for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    # Every symbol position uses the whole alphabet: no fixed or padded bits.
    for position in range(32):
        assert len({code[position] for code in codes}) == 32


def test_a_recovery_code_gives_a_stable_32_byte_key_however_it_is_typed() -> None:
    code = new_recovery_code()
    key = recovery_key_from_code(code)
    assert len(key) == 32
    sloppy = " ".join(code.lower().split("-")).replace("0", "o").replace("1", "l")
    assert recovery_key_from_code(sloppy) == key
    assert recovery_key_from_code(code.replace("-", "")) == key


def test_different_recovery_codes_give_different_keys() -> None:
    assert recovery_key_from_code(new_recovery_code()) != recovery_key_from_code(new_recovery_code())


@pytest.mark.parametrize(
    "text",
    ["", "ABCD", "0" * 31, "0" * 33, "U" * 32, "!" * 32, "0" * 201, "\ud800" * 32],
)
def test_a_malformed_recovery_code_raises_crypto_error(text: str) -> None:
    with pytest.raises(CryptoError):
        recovery_key_from_code(text)


@settings(deadline=None)
@given(st.binary(max_size=256), st.binary(max_size=64))
def test_a_key_wrap_round_trips(secret: bytes, ad: bytes) -> None:
    key = recovery_key_from_code(new_recovery_code())
    assert unwrap_with_key(wrap_with_key(secret, key, ad), key, ad) == secret


def test_a_private_key_survives_a_lost_password_via_the_recovery_code() -> None:
    code = new_recovery_code()
    blob = wrap_with_key(SECRET, recovery_key_from_code(code), b"user:42")
    assert unwrap_with_key(blob, recovery_key_from_code(code.lower()), b"user:42") == SECRET


@settings(deadline=None)
@given(st.data())
def test_a_flipped_byte_anywhere_stops_a_key_wrap_opening(data: st.DataObject) -> None:
    blob = bytearray(wrap_with_key(SECRET, SECRET, b"user:42"))
    position = data.draw(st.integers(0, len(blob) - 1))
    blob[position] ^= data.draw(st.integers(1, 255))
    with pytest.raises(CryptoError):
        unwrap_with_key(bytes(blob), SECRET, b"user:42")


def test_a_key_wrap_fails_with_another_key_other_ad_or_truncation() -> None:
    blob = wrap_with_key(SECRET, SECRET, b"user:42")
    with pytest.raises(CryptoError):
        unwrap_with_key(blob, random_key(), b"user:42")
    with pytest.raises(CryptoError):
        unwrap_with_key(blob, SECRET, b"user:43")
    with pytest.raises(CryptoError):
        unwrap_with_key(blob[:-1], SECRET, b"user:42")
    with pytest.raises(CryptoError):
        unwrap_with_key(blob, SECRET[:31], b"user:42")


def test_one_derived_key_both_unwraps_and_checks_a_duress_verifier() -> None:
    blob = wrap_with_password(SECRET, "the real one", TEST_KDF)
    real_key = derive_password_key(blob, "the real one")
    assert unwrap_with_password_key(blob, real_key) == SECRET
    duress_key = derive_password_key(blob, "the duress one")
    with pytest.raises(CryptoError):
        unwrap_with_password_key(blob, duress_key)
    # The verifier of the duress key matches only the duress password.
    assert password_verifier(duress_key) == password_verifier(derive_password_key(blob, "the duress one"))
    assert password_verifier(duress_key) != password_verifier(real_key)


def test_a_derived_key_of_the_wrong_shape_or_a_short_blob_is_refused() -> None:
    blob = wrap_with_password(SECRET, "pw", TEST_KDF)
    with pytest.raises(CryptoError):
        unwrap_with_password_key(blob, b"short")
    with pytest.raises(CryptoError):
        unwrap_with_password_key(b"\x21", random_key())
    with pytest.raises(ValueError):
        password_verifier(b"short")


def test_subkeys_differ_per_purpose_and_master_and_are_stable() -> None:
    master = random_key()
    assert derive_subkey(master, "portal-cookie") == derive_subkey(master, "portal-cookie")
    assert derive_subkey(master, "portal-cookie") != derive_subkey(master, "other")
    assert derive_subkey(master, "portal-cookie") != derive_subkey(random_key(), "portal-cookie")
    assert len(derive_subkey(master, "x")) == 32
    with pytest.raises(ValueError):
        derive_subkey(b"short", "x")
    with pytest.raises(ValueError):
        derive_subkey(master, "")
