"""The organisation recovery key split m-of-n among coordinators (SLIP-39 Shamir)."""

import hmac
from typing import Any, cast

import shamir_mnemonic

from refuge.crypto.errors import CryptoError
from refuge.crypto.keys import KEY_BYTES, public_key_of

MAX_SHARES = 16  # SLIP-39's limit per group
# Input bounds, so pasted junk cannot cost much: a 32-byte secret is 33 words.
_MAX_MNEMONICS = 2 * MAX_SHARES
_MAX_MNEMONIC_CHARS = 1000
# SLIP-39's stretching protects a passphrase, which we do not use: keep it cheap.
_ITERATION_EXPONENT = 1


def split_secret(secret: bytes, threshold: int, shares: int) -> list[str]:
    """Split secret into `shares` mnemonics, any `threshold` of which rebuild it."""
    if not 1 <= threshold <= shares <= MAX_SHARES:
        raise ValueError("need 1 <= threshold <= shares <= 16")
    if not 16 <= len(secret) <= 32 or len(secret) % 2:
        raise ValueError("secret must be 16 to 32 bytes, an even number")
    # SLIP-39 forbids a 1-of-n group; 1-of-n is n one-member groups, any one enough.
    groups = [(threshold, shares)] if threshold > 1 else [(1, 1)] * shares
    mnemonics = shamir_mnemonic.generate_mnemonics(
        group_threshold=1,
        groups=groups,
        master_secret=secret,
        passphrase=b"",
        iteration_exponent=_ITERATION_EXPONENT,
    )
    return [str(mnemonic) for member_list in mnemonics for mnemonic in member_list]


def combine_shares(mnemonics: list[str]) -> bytes:
    """Rebuild the secret from enough shares; CryptoError if bad, too few or mixed."""
    if len(mnemonics) > _MAX_MNEMONICS or any(len(text) > _MAX_MNEMONIC_CHARS for text in mnemonics):
        raise CryptoError("shares did not combine")
    try:
        groups = shamir_mnemonic.decode_mnemonics(mnemonics)
        encrypted = shamir_mnemonic.recover_ems(_enough_of(groups))
        return bytes(encrypted.decrypt(b""))
    except (shamir_mnemonic.MnemonicError, ValueError) as error:
        # Checksums catch typos; the digest catches shares of different splits.
        raise CryptoError("shares did not combine") from error


def recover_private_key(mnemonics: list[str], expected_public: bytes) -> bytes:
    """Rebuild the recovery private key and prove it matches expected_public."""
    private = combine_shares(mnemonics)
    if len(private) != KEY_BYTES:
        raise CryptoError("shares did not rebuild the recovery key")
    # The key is checked against its public half before any use (DESIGN §5), in
    # constant time, so wrong-but-valid shares are caught before they unwrap anything.
    if not hmac.compare_digest(public_key_of(private), expected_public):
        raise CryptoError("shares did not rebuild the recovery key")
    return private


def _enough_of(groups: dict[int, Any]) -> dict[int, Any]:
    """Keep just enough complete groups and members, so extra shares do not fail."""
    group_threshold = cast(int, next(iter(groups.values())).common_parameters().group_threshold)
    complete = [(index, found) for index, found in groups.items() if found.is_complete()]
    return {index: found.get_minimal_group() for index, found in complete[:group_threshold]}
