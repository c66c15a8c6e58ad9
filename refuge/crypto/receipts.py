"""Requester receipts: the only thing a requester holds, so it carries the keys too."""

from dataclasses import dataclass

import nacl.encoding
import nacl.hash
import nacl.public
import nacl.utils

from refuge.crypto._encoding import crockford_encode, crockford_normalise, group
from refuge.crypto.errors import InvalidReceipt
from refuge.crypto.keys import KEY_BYTES, KeyPair

RECEIPT_SYMBOLS = 20  # 100 bits: not guessable online, short enough to type on a phone
_RECEIPT_BITS = RECEIPT_SYMBOLS * 5
# Distinct personalisations: the lookup id stored in the database reveals nothing
# about the seed of the requester's private key, though both come from one receipt.
_LOOKUP_PERSON = b"refuge.rcpt.id"
_SEED_PERSON = b"refuge.rcpt.key"
_GROUP_PERSON = b"refuge.rcpt.grp"
_GROUP_SYMBOLS = 4
_MAX_PEPPER_BYTES = 64  # BLAKE2b's key limit


@dataclass(frozen=True)
class ReceiptSecrets:
    """What a receipt unlocks: the id of the request and the requester's keypair."""

    lookup_id: bytes
    keypair: KeyPair


def new_receipt() -> str:
    """Return a fresh receipt: 100 random bits as 5 groups of 4 Crockford symbols."""
    random_bytes = nacl.utils.random((_RECEIPT_BITS + 7) // 8)
    value = int.from_bytes(random_bytes, "big") >> (len(random_bytes) * 8 - _RECEIPT_BITS)
    return group(crockford_encode(value, RECEIPT_SYMBOLS))


def normalise_receipt(text: str) -> str:
    """Return the canonical grouped form of a typed receipt, else InvalidReceipt."""
    symbols = crockford_normalise(text, RECEIPT_SYMBOLS)
    if symbols is None:
        raise InvalidReceipt("not a receipt")
    return group(symbols)


def derive_receipt_secrets(receipt: str, pepper: bytes) -> ReceiptSecrets:
    """Derive the lookup id and the requester keypair from a receipt and the pepper."""
    if not KEY_BYTES <= len(pepper) <= _MAX_PEPPER_BYTES:
        raise ValueError("pepper must be 32 to 64 bytes")
    canonical = normalise_receipt(receipt)
    # The canonical form, so every accepted spelling of a receipt gives the same keys.
    message = canonical.encode("ascii")
    # Keyed by the pepper, kept outside the database: a dump alone cannot be used to
    # try the 2^100 receipts offline, not even a fraction of them.
    lookup_id = _keyed_hash(message, pepper, _LOOKUP_PERSON)
    private = nacl.public.PrivateKey.from_seed(_keyed_hash(message, pepper, _SEED_PERSON))
    keypair = KeyPair(public=bytes(private.public_key), private=bytes(private))
    return ReceiptSecrets(lookup_id=lookup_id, keypair=keypair)


def receipt_group_digests(receipt: str, key: bytes) -> list[bytes]:
    """One keyed 8-byte digest per group of a receipt, bound to the group's position.

    For the portal's brake on guessing (refuge/intake/receipt_brake.py): receipts that
    share a group at the same place share its digest; the key keeps it unpredictable.
    """
    symbols = normalise_receipt(receipt).replace("-", "")
    return [
        nacl.hash.blake2b(
            f"{start // _GROUP_SYMBOLS}:{symbols[start : start + _GROUP_SYMBOLS]}".encode("ascii"),
            digest_size=8,
            key=key,
            person=_GROUP_PERSON,
            encoder=nacl.encoding.RawEncoder,
        )
        for start in range(0, len(symbols), _GROUP_SYMBOLS)
    ]


def _keyed_hash(message: bytes, key: bytes, person: bytes) -> bytes:
    """Keyed BLAKE2b-256 of message with a personalisation."""
    return nacl.hash.blake2b(
        message,
        digest_size=KEY_BYTES,
        key=key,
        person=person,
        encoder=nacl.encoding.RawEncoder,
    )
