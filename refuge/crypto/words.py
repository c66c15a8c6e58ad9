"""Duress words: stored so that a seized database cannot read them, nor test guesses offline."""

import re
import unicodedata

import nacl.encoding
import nacl.hash
import nacl.pwhash.argon2id
import nacl.utils

from refuge.crypto.keys import KEY_BYTES
from refuge.crypto.wrapping import KdfParams

WORD_SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
_WORD_PERSON = b"refuge.duress"
_SPACES = re.compile(r"\s+")
_RAW = nacl.encoding.RawEncoder


def normalise_word(text: str) -> str:
    """The form a word is compared in: NFC, case folded, spaces collapsed, end punctuation dropped."""
    # Typed on a phone under stress: "Sunflower." and "sunflower" must be the same word.
    folded = unicodedata.normalize("NFC", text).casefold()
    return _SPACES.sub(" ", folded).strip(" .,!?;:\"'()").strip()


def new_word_salt() -> bytes:
    """A fresh random salt for one stored word."""
    return nacl.utils.random(WORD_SALT_BYTES)


def word_digest(text: str, salt: bytes, pepper: bytes, params: KdfParams) -> bytes:
    """Argon2id of the normalised word, then keyed by a pepper kept outside the database.

    Threat: a seized database. Argon2id makes every guess slow; the pepper (a key
    the database never holds) makes guessing from a dump alone impossible.
    """
    if len(salt) != WORD_SALT_BYTES or len(pepper) != KEY_BYTES:
        raise ValueError("word_digest needs a 16-byte salt and a 32-byte pepper")
    encoded = normalise_word(text).encode("utf-8", "surrogatepass")
    stretched = nacl.pwhash.argon2id.kdf(KEY_BYTES, encoded, salt, opslimit=params.opslimit, memlimit=params.memlimit)
    return nacl.hash.blake2b(stretched, digest_size=KEY_BYTES, key=pepper, person=_WORD_PERSON, encoder=_RAW)
