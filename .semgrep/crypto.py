# Fixture for crypto.yml: each line after a "ruleid" comment must be reported, each after "ok" must not.
# ruleid: crypto-library-outside-refuge-crypto
import nacl
# ruleid: crypto-library-outside-refuge-crypto
import nacl.public
# ruleid: crypto-library-outside-refuge-crypto
import nacl.secret as secret
# ruleid: crypto-library-outside-refuge-crypto
from nacl.public import SealedBox
# ruleid: crypto-library-outside-refuge-crypto
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
# ruleid: crypto-library-outside-refuge-crypto
from Crypto.Cipher import AES
# ruleid: crypto-library-outside-refuge-crypto
import shamir_mnemonic
# ruleid: crypto-library-outside-refuge-crypto
import jwt
# ok: crypto-library-outside-refuge-crypto
import naclish
# ok: crypto-library-outside-refuge-crypto
from refuge.crypto import seal_for
# ok: crypto-library-outside-refuge-crypto
import hashlib
import hmac
import importlib

# ruleid: crypto-library-outside-refuge-crypto
sodium = __import__("nacl.bindings")
# ruleid: crypto-library-outside-refuge-crypto
aead = importlib.import_module("cryptography.hazmat.primitives.ciphers.aead")
# ok: crypto-library-outside-refuge-crypto
json = importlib.import_module("json")


def verifier(key: bytes, name: str, token: str, expected: bytes) -> bool:
    # ruleid: keyed-hash-outside-refuge-crypto
    digest = hmac.new(key, name.encode(), "sha256").digest()
    # ruleid: keyed-hash-outside-refuge-crypto
    digest = hmac.digest(key, name.encode(), "sha256")
    # ruleid: keyed-hash-outside-refuge-crypto
    digest = hashlib.blake2b(name.encode(), key=key).digest()
    # ruleid: keyed-hash-outside-refuge-crypto
    digest = hashlib.pbkdf2_hmac("sha256", token.encode(), key, 100_000)
    # ok: keyed-hash-outside-refuge-crypto
    stored = hashlib.sha256(token.encode()).hexdigest()
    # ok: keyed-hash-outside-refuge-crypto
    unkeyed = hashlib.blake2b(token.encode(), digest_size=16).digest()
    # ok: keyed-hash-outside-refuge-crypto
    return hmac.compare_digest(digest, expected) and bool(stored) and bool(unkeyed) and sodium and aead and json
