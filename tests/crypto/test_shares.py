"""The organisation recovery key, split m-of-n among coordinators."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import (
    CryptoError,
    combine_shares,
    generate_keypair,
    random_key,
    recover_private_key,
    split_secret,
)

ORG = generate_keypair()
SHARES_SETTINGS = settings(max_examples=20, deadline=None)


@st.composite
def splits(draw: st.DrawFn) -> tuple[bytes, int, list[str], list[int]]:
    """A secret, a threshold, its shares and a random choice of threshold of them."""
    secret = draw(st.binary(min_size=8, max_size=16).map(lambda half: half * 2))
    count = draw(st.integers(1, 16))
    threshold = draw(st.integers(1, count))
    chosen = draw(st.permutations(range(count)))[:threshold]
    return secret, threshold, split_secret(secret, threshold, count), chosen


@SHARES_SETTINGS
@given(splits())
def test_any_threshold_of_the_shares_rebuild_the_secret(
    split: tuple[bytes, int, list[str], list[int]],
) -> None:
    secret, _threshold, shares, chosen = split
    assert combine_shares([shares[index] for index in chosen]) == secret


@SHARES_SETTINGS
@given(splits())
def test_fewer_than_threshold_shares_do_not_rebuild_it(
    split: tuple[bytes, int, list[str], list[int]],
) -> None:
    _secret, threshold, shares, chosen = split
    with pytest.raises(CryptoError):
        combine_shares([shares[index] for index in chosen[: threshold - 1]])


def test_extra_and_repeated_shares_are_tolerated() -> None:
    # A coordinator who types in every share at hand must not be turned away.
    shares = split_secret(ORG.private, 2, 4)
    assert combine_shares(shares) == ORG.private
    assert combine_shares([shares[1], shares[1], shares[3]]) == ORG.private


def test_one_of_n_shares_each_rebuild_the_secret() -> None:
    shares = split_secret(ORG.private, 1, 3)
    assert len(shares) == 3
    assert all(combine_shares([share]) == ORG.private for share in shares)
    assert combine_shares(shares) == ORG.private


def test_shares_of_two_different_splits_do_not_combine() -> None:
    first = split_secret(ORG.private, 2, 3)
    second = split_secret(ORG.private, 2, 3)
    with pytest.raises(CryptoError):
        combine_shares([first[0], second[1]])


def test_a_mistyped_word_is_caught() -> None:
    shares = split_secret(ORG.private, 2, 3)
    words = shares[0].split()
    words[5] = "academic" if words[5] != "academic" else "acid"
    with pytest.raises(CryptoError):
        combine_shares([" ".join(words), shares[1]])


@pytest.mark.parametrize(
    "mnemonics",
    [[], [""], ["not a share at all"], ["academic " * 20], ["a" * 1001], ["x"] * 33],
)
def test_garbage_shares_raise_crypto_error(mnemonics: list[str]) -> None:
    with pytest.raises(CryptoError):
        combine_shares(mnemonics)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["academic", "acid", "zero", "wrist", "zebra"]), max_size=40))
def test_random_words_never_raise_anything_but_crypto_error(words: list[str]) -> None:
    with pytest.raises(CryptoError):
        combine_shares([" ".join(words)])


@pytest.mark.parametrize(
    ("secret", "threshold", "count"),
    [
        (b"k" * 32, 0, 3),
        (b"k" * 32, 4, 3),
        (b"k" * 32, 2, 17),
        (b"k" * 14, 2, 3),
        (b"k" * 34, 2, 3),
        (b"k" * 17, 2, 3),
    ],
)
def test_unsupported_splits_are_refused(secret: bytes, threshold: int, count: int) -> None:
    with pytest.raises(ValueError):
        split_secret(secret, threshold, count)


def test_the_rebuilt_recovery_key_is_checked_against_its_public_key() -> None:
    shares = split_secret(ORG.private, 3, 5)
    assert recover_private_key(shares[1:4], ORG.public) == ORG.private


def test_valid_shares_of_another_key_are_refused() -> None:
    other = split_secret(random_key(), 2, 3)
    with pytest.raises(CryptoError):
        recover_private_key(other[:2], ORG.public)


def test_shares_of_a_secret_that_cannot_be_a_private_key_are_refused() -> None:
    with pytest.raises(CryptoError):
        recover_private_key(split_secret(b"k" * 16, 2, 3)[:2], ORG.public)
