"""Refuge's whole crypto surface: pure functions over bytes, no Django.

This is the only package allowed to import nacl or shamir_mnemonic (STYLE.md #5);
business code calls functions named for the business act, which call these.
Every failure to open, verify or unwrap raises CryptoError, whatever the cause.
"""

from refuge.crypto.blind import (
    blind_index,
    chance_of_false_match,
    index_bits,
    keyed_index,
    normalise_document_number,
    normalise_name,
    normalise_phone,
)
from refuge.crypto.errors import CryptoError, InvalidReceipt
from refuge.crypto.fields import associated_data, decrypt_field, encrypt_field
from refuge.crypto.keys import (
    KEY_BYTES,
    KeyPair,
    generate_keypair,
    open_sealed,
    public_key_of,
    random_key,
    seal_for,
)
from refuge.crypto.receipts import (
    ReceiptSecrets,
    derive_receipt_secrets,
    new_receipt,
    normalise_receipt,
    receipt_group_digests,
)
from refuge.crypto.shares import combine_shares, recover_private_key, split_secret
from refuge.crypto.signing import (
    chain_hash,
    generate_signing_keypair,
    sha256_hex,
    sign,
    signing_public_key_of,
    verify_signature,
)
from refuge.crypto.streams import CHUNK_BYTES, decrypt_stream, encrypt_stream
from refuge.crypto.words import WORD_SALT_BYTES, new_word_salt, normalise_word, word_digest
from refuge.crypto.wrapping import (
    PRODUCTION_KDF,
    TEST_KDF,
    KdfParams,
    derive_password_key,
    derive_subkey,
    new_recovery_code,
    password_verifier,
    recovery_key_from_code,
    unwrap_with_key,
    unwrap_with_password,
    unwrap_with_password_key,
    wrap_with_key,
    wrap_with_password,
)

__all__ = [
    "CHUNK_BYTES",
    "KEY_BYTES",
    "PRODUCTION_KDF",
    "TEST_KDF",
    "WORD_SALT_BYTES",
    "CryptoError",
    "InvalidReceipt",
    "KdfParams",
    "KeyPair",
    "ReceiptSecrets",
    "associated_data",
    "blind_index",
    "chain_hash",
    "chance_of_false_match",
    "combine_shares",
    "decrypt_field",
    "decrypt_stream",
    "derive_password_key",
    "derive_receipt_secrets",
    "derive_subkey",
    "encrypt_field",
    "encrypt_stream",
    "generate_keypair",
    "generate_signing_keypair",
    "index_bits",
    "keyed_index",
    "new_receipt",
    "new_recovery_code",
    "new_word_salt",
    "normalise_document_number",
    "normalise_name",
    "normalise_phone",
    "normalise_receipt",
    "normalise_word",
    "open_sealed",
    "password_verifier",
    "public_key_of",
    "random_key",
    "receipt_group_digests",
    "recover_private_key",
    "recovery_key_from_code",
    "seal_for",
    "sha256_hex",
    "sign",
    "signing_public_key_of",
    "split_secret",
    "unwrap_with_key",
    "unwrap_with_password",
    "unwrap_with_password_key",
    "verify_signature",
    "word_digest",
    "wrap_with_key",
    "wrap_with_password",
]
