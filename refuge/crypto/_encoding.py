"""Private byte and text encodings shared by the crypto modules."""

import unicodedata

# Crockford base32: no I, L, O, U, so what is read aloud or off a screen survives.
# U is refused, not guessed at: Crockford leaves it out, and a wrong guess only
# turns a clear "not a receipt" into a silent miss.
CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {char: value for value, char in enumerate(CROCKFORD_ALPHABET)}
# Characters people type for others that look or sound the same (Crockford's rules),
# plus Cyrillic capitals that a phone with a Russian layout types for Latin look-alikes.
_ALIASES = {
    "O": "0",
    "I": "1",
    "L": "1",
    # Cyrillic look-alikes, escaped here because in source they look like Latin letters.
    "\u0410": "A",  # А
    "\u0412": "B",  # В
    "\u0415": "E",  # Е
    "\u041a": "K",  # К
    "\u041c": "M",  # М
    "\u041d": "H",  # Н
    "\u041e": "0",  # О
    "\u0420": "P",  # Р
    "\u0421": "C",  # С
    "\u0422": "T",  # Т
    "\u0425": "X",  # Х
}
# Separators people put between groups, including what phones autocorrect '-' into.
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212_.")
# Long input is refused before any Unicode work, so pasted junk cannot cost CPU.
MAX_CODE_INPUT_CHARS = 200


def length_prefixed(*parts: bytes) -> bytes:
    """Concatenate parts, each preceded by its 8-byte big-endian length."""
    # Unambiguous framing: ("ab", "c") and ("a", "bc") never encode the same.
    return b"".join(len(part).to_bytes(8, "big") + part for part in parts)


def crockford_encode(value: int, chars: int) -> str:
    """Encode a non-negative integer as exactly `chars` Crockford base32 symbols."""
    return "".join(CROCKFORD_ALPHABET[(value >> (5 * shift)) & 31] for shift in reversed(range(chars)))


def group(symbols: str, size: int = 4) -> str:
    """Split symbols into dash-separated groups so they can be read and typed."""
    return "-".join(symbols[start : start + size] for start in range(0, len(symbols), size))


def crockford_normalise(text: str, chars: int) -> str | None:
    """Return the canonical ungrouped symbols of a typed code, or None if not one."""
    if len(text) > MAX_CODE_INPUT_CHARS:
        return None
    symbols = []
    # NFKC folds full-width and other compatibility forms a phone keyboard may produce.
    for char in unicodedata.normalize("NFKC", text).upper():
        if char.isspace() or char in _SEPARATORS:
            continue
        char = _ALIASES.get(char, char)
        if char not in _DECODE:
            return None
        symbols.append(char)
    return "".join(symbols) if len(symbols) == chars else None


def crockford_decode(symbols: str) -> int:
    """Decode canonical Crockford symbols (as returned by crockford_normalise)."""
    value = 0
    for char in symbols:
        value = (value << 5) | _DECODE[char]
    return value
