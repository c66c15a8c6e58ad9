"""Requester receipts: typeable on a phone, unguessable, and the only key they hold."""

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refuge.crypto import (
    InvalidReceipt,
    derive_receipt_secrets,
    new_receipt,
    normalise_receipt,
    public_key_of,
)

PEPPER = b"p" * 32
RECEIPT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")
receipt_text = st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ", min_size=20, max_size=20)


def test_a_receipt_is_five_groups_of_four_crockford_symbols() -> None:
    for _ in range(200):
        assert RECEIPT.match(new_receipt())


def test_receipts_carry_100_random_bits() -> None:
    receipts = [new_receipt().replace("-", "") for _ in range(4000)]
    assert len(set(receipts)) == len(receipts)
    # Every position uses all 32 symbols, and every one of the 100 bits is set in
    # about half the receipts: no position or bit is fixed or biased.
    for position in range(20):
        assert len({receipt[position] for receipt in receipts}) == 32
    values = [int(normalise_receipt(r).replace("-", "").translate(_TO_HEX), 32) for r in receipts]
    for bit in range(100):
        ones = sum((value >> bit) & 1 for value in values)
        assert 1700 < ones < 2300


_TO_HEX = str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZ", "0123456789abcdefghijklmnopqrstuv")


@settings(deadline=None)
@given(receipt_text)
def test_a_receipt_normalises_to_itself(symbols: str) -> None:
    grouped = "-".join(symbols[i : i + 4] for i in range(0, 20, 4))
    assert normalise_receipt(grouped) == grouped
    assert normalise_receipt(symbols) == grouped


def test_a_receipt_typed_sloppily_on_a_phone_still_matches() -> None:
    assert normalise_receipt(" 7k2m q9xd\u20130o1i-lL00  abcd ") == "7K2M-Q9XD-0011-1100-ABCD"


def test_cyrillic_look_alikes_typed_on_a_russian_keyboard_are_accepted() -> None:
    cyrillic = "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425"
    assert normalise_receipt(cyrillic + "123456789") == "ABEK-MH0P-CTX1-2345-6789"
    assert normalise_receipt(cyrillic.lower() + "123456789") == "ABEK-MH0P-CTX1-2345-6789"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "7K2M-Q9XD-0000-1111-ABC",
        "7K2M-Q9XD-0000-1111-ABCDE",
        "7K2M-Q9XD-0000-1111-ABCU",
        "7K2M-Q9XD-0000-1111-ABC!",
        "Ж" * 20,
        "0" * 20 + " " * 190,
        "\ud800" * 20,
    ],
)
def test_text_that_cannot_be_a_receipt_raises_invalid_receipt(text: str) -> None:
    with pytest.raises(InvalidReceipt):
        normalise_receipt(text)


def test_invalid_receipt_is_a_value_error_that_says_nothing_about_existence() -> None:
    with pytest.raises(ValueError, match=r"^not a receipt$"):
        normalise_receipt("nope")


@settings(deadline=None)
@given(
    st.lists(
        st.characters(exclude_categories=()) | st.characters(categories=["Cs"]),
        max_size=300,
    ).map("".join)
    | st.text(alphabet="0123456789ABCDEFGHJKMNPQRSTVWXYZ-oilU \u0410\u20ac", max_size=30)
)
def test_any_text_is_a_receipt_or_invalid_receipt_never_a_crash(text: str) -> None:
    with contextlib.suppress(InvalidReceipt):
        assert RECEIPT.match(normalise_receipt(text))


def test_derived_secrets_are_stable_for_every_spelling_of_a_receipt() -> None:
    receipt = new_receipt()
    secrets = derive_receipt_secrets(receipt, PEPPER)
    assert derive_receipt_secrets(receipt.lower().replace("-", " "), PEPPER) == secrets
    assert len(secrets.lookup_id) == 32
    assert public_key_of(secrets.keypair.private) == secrets.keypair.public


@settings(deadline=None)
@given(receipt_text, receipt_text)
def test_different_receipts_give_different_ids_and_keys(first: str, second: str) -> None:
    a = derive_receipt_secrets(first, PEPPER)
    b = derive_receipt_secrets(second, PEPPER)
    assert (a == b) == (first == second)
    assert (a.keypair.public == b.keypair.public) == (first == second)


def test_the_lookup_id_is_not_the_private_key_seed_and_depends_on_the_pepper() -> None:
    receipt = new_receipt()
    secrets = derive_receipt_secrets(receipt, PEPPER)
    assert secrets.lookup_id not in (secrets.keypair.private, secrets.keypair.public)
    other = derive_receipt_secrets(receipt, b"q" * 32)
    assert other.lookup_id != secrets.lookup_id
    assert other.keypair.public != secrets.keypair.public


def test_deriving_from_a_bad_receipt_raises_invalid_receipt() -> None:
    with pytest.raises(InvalidReceipt):
        derive_receipt_secrets("not a receipt", PEPPER)


@pytest.mark.parametrize("pepper", [b"", b"p" * 31, b"p" * 65])
def test_a_pepper_of_unsupported_length_is_refused(pepper: bytes) -> None:
    with pytest.raises(ValueError):
        derive_receipt_secrets(new_receipt(), pepper)


def test_group_digests_are_per_group_and_position_and_keyed() -> None:
    from refuge.crypto import receipt_group_digests

    key, other_key = bytes(32), bytes([1]) * 32
    digests = receipt_group_digests("ABCD-0000-0000-0000-ABCD", key)
    assert len(digests) == 5 and all(len(d) == 8 for d in digests)
    assert digests[0] != digests[4]  # the same group at another place
    assert receipt_group_digests("abcd 0000 oooo 0000 abcd", key) == digests  # any accepted spelling
    assert receipt_group_digests("ABCD-0000-0000-0000-ABCD", other_key)[0] != digests[0]
