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
from refuge.crypto.packets import (
    age_recipient_of,
    decrypt_with_age_identity,
    encrypt_for_age_recipient,
    encrypt_with_passphrase,
    new_age_identity,
    new_packet_passphrase,
    normalise_age_recipient,
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
from refuge.crypto.streams import (
    CHUNK_BYTES,
    MAX_CHUNK_BYTES,
    StreamEncryptor,
    decrypt_stream,
    encrypt_stream,
    iter_decrypted_stream,
)
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
    "MAX_CHUNK_BYTES",
    "PRODUCTION_KDF",
    "TEST_KDF",
    "WORD_SALT_BYTES",
    "CryptoError",
    "InvalidReceipt",
    "KdfParams",
    "KeyPair",
    "ReceiptSecrets",
    "StreamEncryptor",
    "age_recipient_of",
    "associated_data",
    "blind_index",
    "chain_hash",
    "chance_of_false_match",
    "combine_shares",
    "decrypt_field",
    "decrypt_stream",
    "decrypt_with_age_identity",
    "derive_password_key",
    "derive_receipt_secrets",
    "derive_subkey",
    "encrypt_field",
    "encrypt_for_age_recipient",
    "encrypt_stream",
    "encrypt_with_passphrase",
    "generate_keypair",
    "generate_signing_keypair",
    "index_bits",
    "iter_decrypted_stream",
    "keyed_index",
    "new_age_identity",
    "new_packet_passphrase",
    "new_receipt",
    "new_recovery_code",
    "new_word_salt",
    "normalise_age_recipient",
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
