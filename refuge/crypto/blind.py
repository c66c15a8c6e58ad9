"""Blind indexes: search and duplicate detection over encrypted values.

A blind index is a keyed hash of a normalised value. Equal values give equal indexes,
so the server can match them, but without the index key a database dump cannot be
used to test guesses ("is Ivan Petrov a requester?").

Name normalisation, so common romanisations of one Russian name meet:
  1. NFKC, casefold; ё becomes е (as in passports: Фёдор is Fedor).
  2. Transliterate to ASCII with unidecode (Юрий -> iurii, Наталья -> natal'ia).
  3. Drop apostrophes and quotes (soft and hard signs, O'Neil); every other non-letter
     separates words, so "Anna-Maria" is the two words anna, maria.
  4. Rewrite each word with _NAME_RULES, in order, then collapse doubled letters;
     repeat until the word no longer changes (so normalising twice changes nothing).
  5. Sort the words, so "Ivanov Ivan" equals "Ivan Ivanov".

Known merges (accepted: a false duplicate is checked by a person, a missed duplicate may
be a plant or a second case for one person): Ivanna = Ivana, Hassan = Hasan,
Daniel = Danel. Known misses: Alexander != Aleksandr (different spellings of the end),
Fyodor != Fedor (yo is written as io).

What is stored (version 2, issue #16): the keyed BLAKE2b-256 above is only the first
step. Whoever holds the index key (the server key opens it) could otherwise hash every
Russian mobile number (10^9) in 0.17 core-hours (BENCHMARKS.md, "Blind indexes") and read
the phone numbers off a dump. So the keyed hash is then
  - stretched with Argon2id (INDEX_OPSLIMIT, INDEX_MEMLIMIT: about 0.76 ms a value), so
    each guess costs that much, and
  - truncated to a few bits (INDEX_BITS, 22-24), so that values collide by design, as in
    CipherSweet: a stored index names a bucket of many plausible values of the
    enumerable space (about 240 phone numbers each), not one.
Equal values still give equal indexes; unequal values meet by chance one time in 2^bits,
so a match is a candidate that the reader confirms by decrypting (docs/keys.md). Version
1 stored the keyed hash whole (64 hex digits); `stretch_legacy_index` turns one into
version 2 without the plaintext (migrations intake 0003, cases 0007). Truncation loses
bits for good: changing INDEX_BITS later needs every plaintext again.
"""

import re
import unicodedata

import nacl.encoding
import nacl.hash
import nacl.pwhash
from unidecode import unidecode

from refuge.crypto.keys import KEY_BYTES

# Ordered: each rule sees the output of the ones above it.
_NAME_RULES: tuple[tuple[str, str], ...] = (
    ("kh", "h"),  # Khasan / Hasan: Х is kh in English, h in German and Turkic spellings
    ("x", "ks"),  # Alexei / Aleksei
    ("j", "i"),  # Natalja / Natalia, Jurij / Iurii: German, Polish, Baltic spellings
    ("y", "i"),  # Yuriy / Iurii, Natalya / Natalia, Sergey / Sergei, Dmitry / Dmitrii
    ("ie", "e"),  # Yelena / Elena, Yevgeny / Evgenii: Е after y -> i is written ie
)
# Iurii / Yuri, Dmitrii / Dmitri, Nataliia / Natalia.
_DOUBLED = re.compile(r"([a-z])\1+")
_SIGNS = re.compile(r"['\"`]")
_WORD = re.compile(r"[a-z]+")
_DOCUMENT_JUNK = re.compile(r"[^A-Z0-9]")
_INDEX_PERSON = b"refuge.blind"
_STRETCH_PERSON = b"refuge.blind.v2"

# Argon2id over the keyed hash: about 0.76 ms of CPU a value on the benchmark machine
# (BENCHMARKS.md, "Blind indexes"), so enumerating 10^9 phone numbers with the key costs
# ~212 core-hours instead of 0.17. Small memory on purpose: a submission computes up to three.
INDEX_OPSLIMIT = 2
INDEX_MEMLIMIT = 1024 * 1024
# Bits kept of each field's index (docs/keys.md, "Blind indexes"): with 10^5 values
# stored, a lookup meets a stranger's value by chance in 2.4 % (22 bits) or 0.6 %
# (24 bits) of cases, while 10^9 phone or document numbers leave ~240 per bucket.
INDEX_BITS = {"name": 24, "phone": 22, "document_number": 22}
DEFAULT_INDEX_BITS = 22


def normalise_name(value: str) -> str:
    """Return the sorted skeletons of a name's words, so its romanisations meet."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = text.replace("\u0451", "\u0435")  # ё -> е, as passports write it
    text = _SIGNS.sub("", _to_ascii(text).lower())
    words = (_name_skeleton(word) for word in _WORD.findall(text))
    return " ".join(sorted(words))


def normalise_phone(value: str) -> str:
    """Return a phone number as international digits, without '+', '00' or trunk 8."""
    # Any script's digits count: requesters may type Arabic-Indic or full-width digits.
    digits = "".join(str(unicodedata.decimal(char)) for char in value if char.isdecimal())
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("810") and len(digits) > 11:
        digits = digits[3:]  # the Russian international prefix 8-10
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]  # 8 916 ... dialled inside Russia is +7 916 ...
    return digits


def normalise_document_number(value: str) -> str:
    """Return a document number as uppercase ASCII letters and digits."""
    # The numero sign is a label, not part of the number ("№ 123456" is "123456"),
    # and NFKC would turn it into the letters "No".
    text = unicodedata.normalize("NFKC", value.replace("\u2116", " "))
    text = _to_ascii(text).upper()
    return _DOCUMENT_JUNK.sub("", text)


def blind_index(key: bytes, field: str, normalised: str) -> str:
    """Return the stored blind index (version 2) of a normalised value for one field."""
    return stretch_index(field, keyed_index(key, field, normalised))


def keyed_index(key: bytes, field: str, normalised: str) -> bytes:
    """The keyed BLAKE2b-256 of a normalised value for one field (version 1's whole index)."""
    if len(key) != KEY_BYTES:
        raise ValueError("key must be 32 bytes")
    # Empty values would all match each other: a false duplicate for everyone.
    if not field or not normalised:
        raise ValueError("refusing to index an empty value")
    # A personalisation per field: equal values in different fields never match,
    # even if one key were reused across fields.
    digest: bytes = nacl.hash.blake2b(
        normalised.encode("utf-8", "surrogatepass"),
        digest_size=32,
        key=key,
        person=_field_person(field, _INDEX_PERSON),
        encoder=nacl.encoding.RawEncoder,
    )
    return digest


def stretch_index(field: str, keyed: bytes, bits: int | None = None) -> str:
    """Argon2id over a keyed index, truncated to the field's bits, as fixed-width hex."""
    if len(keyed) != 32:
        raise ValueError("a keyed index is 32 bytes")
    # The salt only separates fields: the input is already secret (keyed), so no table
    # can be precomputed without the key.
    stretched: bytes = nacl.pwhash.argon2id.kdf(
        16,
        keyed,
        _field_person(field, _STRETCH_PERSON),
        opslimit=INDEX_OPSLIMIT,
        memlimit=INDEX_MEMLIMIT,
        encoder=nacl.encoding.RawEncoder,
    )
    bits = index_bits(field) if bits is None else bits
    if not 8 <= bits <= 64:
        raise ValueError("an index keeps 8 to 64 bits")
    value = int.from_bytes(stretched[:8], "big") >> (64 - bits)
    return f"{value:0{(bits + 3) // 4}x}"


def stretch_legacy_index(field: str, legacy_hex: str, bits: int | None = None) -> str:
    """Version 1's stored index (the keyed hash in hex) as version 2: no plaintext needed."""
    return stretch_index(field, bytes.fromhex(legacy_hex), bits)


def chance_of_false_match(stored: int, bits: int) -> float:
    """The chance that a value meets at least one of `stored` other, different values by accident."""
    # Each other value lands in this value's bucket with probability 2^-bits, independently.
    return float(1 - (1 - 2.0**-bits) ** stored)


def index_bits(field: str) -> int:
    """How many bits of the field's index are stored."""
    return INDEX_BITS.get(field, DEFAULT_INDEX_BITS)


def _field_person(field: str, person: bytes) -> bytes:
    digest: bytes = nacl.hash.blake2b(
        field.encode("utf-8", "surrogatepass"), digest_size=16, person=person, encoder=nacl.encoding.RawEncoder
    )
    return digest


def _name_skeleton(word: str) -> str:
    """Apply the ordered rewrite rules to one lowercase ASCII word until nothing changes."""
    # One pass is not enough: collapsing "iie" to "ie" makes a new "ie" to rewrite.
    # Repeating until stable makes spellings meet whatever order rules fire in;
    # "x" -> "ks" is the only rule that lengthens a word and nothing makes a new "x",
    # so every pass after the first shortens the word or ends the loop.
    while True:
        before = word
        for old, new in _NAME_RULES:
            word = word.replace(old, new)
        word = _DOUBLED.sub(r"\1", word)
        if word == before:
            return word


def _to_ascii(text: str) -> str:
    """Transliterate to ASCII, dropping lone surrogates unidecode would warn about."""
    return unidecode("".join(char for char in text if not "\ud800" <= char <= "\udfff"))
