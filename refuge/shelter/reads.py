"""What the shelter pages show, opened in one call: access, decrypt, audit the read.

Views receive plaintext, never key bytes (STYLE.md #18). Two real abductions happened at
NGO safe houses (DOMAIN.md): the address is under a key of its own and is decrypted only
when asked for, audited apart from the shelter's city and rules.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from refuge.accounts.models import User
from refuge.cases.access import holds_key
from refuge.crypto import CryptoError
from refuge.keyring.keyring import KeyNotHeld, Keyring
from refuge.shelter import actions
from refuge.shelter.access import access_shelter, stays_shown
from refuge.shelter.models import Placement, Shelter, ShelterAddress
from refuge.shelter.queries import ShelterText, current_stays, read_address, read_shelter, shelter_address

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShelterPage:
    shelter: Shelter
    # City and rules; None while the shelter key has not reached the member, or if unreadable.
    text: ShelterText | None
    unreadable: bool
    address_record: ShelterAddress | None
    holds_address: bool
    address: str | None  # only when asked for
    stays: list[Placement]  # the stays the member may see by pseudonym
    other_stays: int  # how many others


def open_shelter(member: User, keyring: Keyring, shelter_id: uuid.UUID | str, *, with_address: bool) -> ShelterPage:
    """A register entry: city and rules decrypted (audited) when the member holds the shelter key,
    the address only when asked for by one of its holders (audited apart), the stays they may see."""
    shelter = access_shelter(member, shelter_id)
    unreadable = False
    text: ShelterText | None = None
    try:
        text = read_shelter(shelter, keyring)
    except KeyNotHeld:
        pass  # placed recently: the key reaches the team when a coordinator gives it from the register
    except CryptoError:
        log.error("shelter %s did not decrypt; it may have been tampered with", shelter.pk)
        unreadable = True
    if text is not None:
        actions.do_record_shelter_read(actor=member, shelter=shelter)
    record = shelter_address(shelter)
    holds_address = record is not None and holds_key(member, record.key)
    address = None
    if holds_address and record is not None and with_address:
        try:
            address = read_address(record, keyring)
        except (KeyNotHeld, CryptoError):
            log.error("the address of shelter %s did not decrypt", shelter.pk)
            unreadable = True
        else:
            actions.do_record_shelter_read(actor=member, shelter=shelter, address=True)
    stays, others = stays_shown(member, current_stays(shelter))
    return ShelterPage(shelter, text, unreadable, record, holds_address, address, stays, others)


@dataclass(frozen=True)
class ShelterForEdit:
    text: ShelterText
    with_address: bool  # the member holds the address key: it is shown and may be changed
    address: str


def open_shelter_for_edit(member: User, keyring: Keyring, shelter: Shelter) -> ShelterForEdit:
    """City, rules and (for its holders) the address, to fill the edit form; each read audited.

    Raises KeyNotHeld / CryptoError for the workspace's error boundary: nothing is edited half-read."""
    record = shelter_address(shelter)
    with_address = record is not None and holds_key(member, record.key)
    text = read_shelter(shelter, keyring)
    address = read_address(record, keyring) if with_address and record is not None else ""
    actions.do_record_shelter_read(actor=member, shelter=shelter)
    if with_address:
        actions.do_record_shelter_read(actor=member, shelter=shelter, address=True)
    return ShelterForEdit(text, with_address, address)


def holds_shelter_address(member: User, shelter: Shelter) -> bool:
    record = shelter_address(shelter)
    return record is not None and holds_key(member, record.key)
