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
"""

import re
import unicodedata

import nacl.encoding
import nacl.hash
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
    """Return the hex keyed BLAKE2b-256 of a normalised value for one field."""
    if len(key) != KEY_BYTES:
        raise ValueError("key must be 32 bytes")
    # Empty values would all match each other: a false duplicate for everyone.
    if not field or not normalised:
        raise ValueError("refusing to index an empty value")
    # A personalisation per field: equal values in different fields never match,
    # even if one key were reused across fields.
    person = nacl.hash.blake2b(
        field.encode("utf-8", "surrogatepass"),
        digest_size=16,
        person=_INDEX_PERSON,
        encoder=nacl.encoding.RawEncoder,
    )
    digest = nacl.hash.blake2b(
        normalised.encode("utf-8", "surrogatepass"),
        digest_size=32,
        key=key,
        person=person,
        encoder=nacl.encoding.HexEncoder,
    )
    return digest.decode("ascii")


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
