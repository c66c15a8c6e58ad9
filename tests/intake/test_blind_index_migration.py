"""Upgrading stored blind indexes to version 2 (intake 0003, cases 0007) without any plaintext."""

from __future__ import annotations

from refuge.cases.models import CaseIndex
from refuge.crypto import blind_index, keyed_index
from refuge.intake.actions.submissions import do_submit_request
from refuge.intake.migrations._blind_index_v2 import stretch_all
from refuge.intake.models import RequestIndex
from refuge.intake.queries import possible_duplicates
from refuge.keyring.records import blind_index_secrets
from tests.personas import World


def _submit(world: World, name: str, phone: str):  # type: ignore[no-untyped-def]
    answers = {"what_happened": "x", "name": name, "phone": phone}
    return do_submit_request(organisation=world.north, answers=answers, urgency="soon", language="en").request


def test_version_1_indexes_become_the_indexes_new_requests_get(world: World) -> None:
    first = _submit(world, "Ivan Petrov", "+7 916 123 45 67")
    second = _submit(world, "Petrov Ivan", "8 916 123-45-67")
    third = _submit(world, "Oleg Sidorov", "+7 911 000 00 00")
    new = {row.pk: row.digest for row in RequestIndex.objects.all()}
    # Put back what version 1 stored: the whole keyed hash of each normalised value, in hex.
    secrets = blind_index_secrets(world.north, ["name", "phone"])
    normalised = [("name", "ivan petrov"), ("name", "oleg sidorov"), ("phone", "79161234567"), ("phone", "79110000000")]
    version_1 = {
        (field, blind_index(secrets[field], field, value)): keyed_index(secrets[field], field, value).hex()
        for field, value in normalised
    }
    for row in RequestIndex.objects.all():
        row.digest = version_1[(row.field, row.digest)]
        row.save(update_fields=["digest"])
    assert all(len(digest) == 64 for digest in RequestIndex.objects.values_list("digest", flat=True))

    stretch_all(RequestIndex)

    assert {row.pk: row.digest for row in RequestIndex.objects.all()} == new
    assert possible_duplicates(second) == [first] and possible_duplicates(third) == []
    # Running it again changes nothing; an empty table is fine too.
    stretch_all(RequestIndex)
    assert {row.pk: row.digest for row in RequestIndex.objects.all()} == new
    stretch_all(CaseIndex)
