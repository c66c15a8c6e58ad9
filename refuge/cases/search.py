"""Search for cases: by reference, by pseudonym, and by name, phone or document number through blind indexes.

Identity fields are searched through keyed, stretched and truncated hashes
(refuge/crypto/blind.py), so the server compares indexes and never reads a compartment
to find one; what an index matches is then confirmed by decrypting with the searcher's
own keys, in memory, because truncated indexes collide by design (docs/keys.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef

from refuge.accounts.models import Organisation, User
from refuge.cases import compartments as schema
from refuge.cases.access import visible_cases
from refuge.cases.models import Case, CaseIndex, Compartment, Person
from refuge.crypto import blind_index
from refuge.intake.actions.submissions import INDEXED_FIELDS
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.keyring.records import blind_index_secrets_held, decrypt_text

MAX_SEARCH_CHARS = 200
# A search names a person or a case: more matches than this are not a useful answer.
MAX_SEARCH_MATCHES = 500


@dataclass(frozen=True)
class SearchResult:
    ids: list[Any]
    # Cases found only through a blind index the searcher could not confirm: truncated
    # indexes collide by design (refuge/crypto/blind.py), so these may be another person.
    possible: set[Any]


def search_cases(user: User, text: str, keyring: Keyring | None = None) -> SearchResult:
    """The cases a search finds; identity matches confirmed by decrypting with the member's keys.

    A blind index keeps 22-24 bits, so about one stored value in four million meets a
    search by chance (docs/keys.md). Each index match is opened with the searcher's
    keyring and compared in memory: a collision is dropped, a match the searcher cannot
    open (the compartment is not shared with them) is kept but marked possible.
    """
    text = text.strip()[:MAX_SEARCH_CHARS]
    organisation_id = user.organisation_id
    found: set[Any] = set(
        Case.objects.filter(organisation_id=organisation_id, reference=text.upper()).values_list("pk", flat=True)
    )
    # Pseudonyms are a capitalised word and digits ("Birch 48213"): searched as a range
    # over the (organisation, pseudonym) index, which LIKE could not use.
    prefix = " ".join(text.split()).capitalize()
    people = Person.objects.filter(organisation_id=organisation_id)
    if len(prefix) >= 3:
        people = people.filter(pseudonym__gte=prefix, pseudonym__lt=prefix + "\U0010ffff")
    else:
        people = people.filter(pseudonym=prefix)
    found.update(people.values_list("case_id", flat=True)[:MAX_SEARCH_MATCHES])
    digests = index_digests(user.organisation, text)
    if not digests:
        return SearchResult(sorted(found, key=str)[:MAX_SEARCH_MATCHES], set())
    # Only the cases the searcher may list are worth opening. A correlated EXISTS probes each
    # match (a handful) on the case's primary key; `case__in=visible_cases(user)` made SQLite
    # list every case a coordinator may see first (60-100 ms at 100,000 cases).
    visible = Exists(visible_cases(user).filter(pk=OuterRef("case_id")))
    searched: dict[str, str] = {}
    candidates: dict[str, list[tuple[Any, Any]]] = {}
    for field_name, normalised, digest in digests:
        matches = CaseIndex.objects.filter(visible, organisation_id=organisation_id, field=field_name, digest=digest)
        searched[field_name] = normalised
        candidates[field_name] = list(matches.values_list("case_id", "person_id")[:MAX_SEARCH_MATCHES])
    keyring = keyring if keyring is not None else Keyring.locked(user)
    confirmed, unconfirmed = _confirm_identity(keyring, searched, candidates)
    found |= confirmed
    possible = unconfirmed - found
    ids = sorted(found | possible, key=str)[:MAX_SEARCH_MATCHES]
    return SearchResult(ids, possible & set(ids))


def _confirm_identity(
    keyring: Keyring, searched: dict[str, str], candidates: dict[str, list[tuple[Any, Any]]]
) -> tuple[set[Any], set[Any]]:
    """(case ids whose person has the value searched in a field they matched on, case ids the keyring cannot check).

    `searched`: field → the normalised search text; `candidates`: field → (case id, person id)
    of its index matches. Each compartment that may hold a matched field is read once, in one
    query, however many fields its person matched on.
    """
    case_of: dict[Any, Any] = {}
    matched_on: dict[Any, set[str]] = {}
    for field_name, pairs in candidates.items():
        for case_id, person_id in pairs:
            case_of[person_id] = case_id
            matched_on.setdefault(person_id, set()).add(field_name)
    if not case_of:
        return set(), set()
    feeds = {kind: {f.index for f in fields if f.index in candidates} for kind, fields in schema.FIELDS.items()}
    kinds = [kind for kind, fed in feeds.items() if fed]
    confirmed: set[Any] = set()
    unconfirmed: set[Any] = set()
    # Whether the searcher holds each key is asked in the same statement, and their wraps are
    # opened together: a coordinator, who lists every case but holds few identities, spent one
    # or two statements on each candidate only to learn it was not theirs (BENCHMARKS.md).
    compartments = list(
        Compartment.objects.filter(person_id__in=case_of, kind__in=kinds)
        .select_related("key")
        .annotate(may_open=keyring.may_open())
    )
    keyring.open_many([c.key for c in compartments if c.may_open])
    for compartment in compartments:
        wanted = feeds[compartment.kind] & matched_on[compartment.person_id]
        if not wanted:
            continue  # it holds none of the fields this person's indexes matched on
        if not compartment.may_open:
            unconfirmed.add(case_of[compartment.person_id])
            continue
        try:
            content = _read_compartment(compartment, keyring)
        except KeyNotHeld:
            unconfirmed.add(case_of[compartment.person_id])
            continue
        # Decrypted in memory to compare only: nothing of it is shown or kept.
        values = schema.index_values(compartment.kind, content)
        if any(f in wanted and INDEXED_FIELDS[f](v) == searched[f] for f, v in values):
            confirmed.add(case_of[compartment.person_id])
    return confirmed, unconfirmed


def index_digests(organisation: Organisation, text: str) -> list[tuple[str, str, str]]:
    """(field, normalised text, blind index) for every indexed field with a key that the search text normalises for.

    Each is stretched once (Argon2id, refuge/crypto/blind.py): what #16 makes every guess cost.
    The fields' keys and server wraps are read in one statement.
    """
    normalised = {
        name: value
        for name, normalise in INDEXED_FIELDS.items()
        if (value := normalise(text)) and _could_be(name, value)
    }
    secrets = blind_index_secrets_held(organisation, normalised)
    return [
        (field_name, value, blind_index(secrets[field_name], field_name, value))
        for field_name, value in normalised.items()
        if field_name in secrets
    ]


def _could_be(field_name: str, normalised: str) -> bool:
    """False for a search text that cannot be a value of this field, so no index is stretched or looked up for it."""
    # Passport, internal passport and certificate numbers all have digits. A name, whose
    # letters the document normaliser keeps ("IVANPETROV"), cost an Argon2id (0.76 ms) and a
    # lookup in a 22-bit index that such a text meets by chance in ~3 % of searches at
    # 100,000 cases: a candidate to open for nothing.
    return field_name != "document_number" or any(char.isdigit() for char in normalised)


def _read_compartment(compartment: Compartment, keyring: Keyring) -> dict[str, Any]:
    """A compartment's content, to compare with the search; KeyNotHeld if the member was not granted it."""
    secret = keyring.secret_for(compartment.key)
    content: dict[str, Any] = json.loads(decrypt_text(compartment, "content", secret, compartment.key))
    return content
