"""The two errors the crypto package raises for bad data."""


class CryptoError(Exception):
    """Something could not be opened, verified or unwrapped.

    One type, and deliberately vague messages: callers cannot tell a wrong key from a
    flipped byte from a truncated file, so neither can an attacker probing with
    crafted blobs (no decryption oracle beyond "it did not open").
    """


class InvalidReceipt(ValueError):
    """Text that cannot be a receipt by its form alone.

    Raised before any lookup, so it never says whether a receipt exists (DESIGN §8).
    """
