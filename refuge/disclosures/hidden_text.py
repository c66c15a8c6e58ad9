"""Characters that make text read differently from what it holds, refused in what a packet carries.

C0 controls but tab and line breaks, DEL, and the bidirectional embeddings, overrides and
isolates. A receiving Refuge refuses a packet that holds them (referrals.py), so the sending
side refuses them too, while the packet is prepared: the caseworker can correct the case,
rather than the partner being handed a file that will not import.
"""

HIDING = frozenset([chr(c) for c in range(32) if chr(c) not in "\t\r\n"] + ["\x7f"])
HIDING |= frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def holds_hidden_text(value: str) -> bool:
    return not HIDING.isdisjoint(value)
