"""Pseudonyms: a word and five digits, safe to say aloud and to show in any list."""

from __future__ import annotations

import secrets

# Trees, birds and rivers: neutral in Russian and English, nothing that hints at a
# person, a place of origin or a gender.
WORDS = [
    "Alder",
    "Ash",
    "Aspen",
    "Birch",
    "Cedar",
    "Elm",
    "Fir",
    "Hazel",
    "Larch",
    "Linden",
    "Maple",
    "Oak",
    "Pine",
    "Rowan",
    "Spruce",
    "Willow",
    "Crane",
    "Finch",
    "Heron",
    "Lark",
    "Linnet",
    "Owl",
    "Plover",
    "Raven",
    "Robin",
    "Siskin",
    "Sparrow",
    "Starling",
    "Swift",
    "Teal",
    "Wren",
    "Amur",
    "Don",
    "Kama",
    "Lena",
    "Neva",
    "Ob",
    "Oka",
    "Ural",
    "Volga",
    "Yana",
    "Argun",
    "Vyatka",
    "Onega",
    "Pechora",
    "Svir",
    "Tura",
]


def new_pseudonym() -> str:
    """About 48 × 9000 ≈ 430,000 combinations; callers retry on the rare collision."""
    return f"{secrets.choice(WORDS)} {secrets.randbelow(90000) + 10000}"
