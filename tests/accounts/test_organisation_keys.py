"""A new organisation gets every key its portal needs, so no submission has to create one."""

from __future__ import annotations

import pytest

from refuge.accounts.actions.organisation import do_create_organisation
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from refuge.intake.actions.submissions import INDEXED_FIELDS
from refuge.keyring.models import HolderKind, Key, Purpose
from refuge.keyring.records import blind_index_secrets

pytestmark = pytest.mark.django_db


def test_a_new_organisation_has_its_blind_index_keys_held_by_the_server_and_recovery_only() -> None:
    setup = do_create_organisation(
        name="East Rainbow", slug="east", coordinator_username="erin", coordinator_password="erin-correct-horse"
    )
    organisation = setup.organisation

    keys = Key.objects.filter(organisation=organisation, purpose=Purpose.BLIND_INDEX)
    assert sorted(keys.values_list("label", flat=True)) == sorted(f"blind-index:{f}" for f in INDEXED_FIELDS)
    for key in keys:
        assert sorted(key.wraps.values_list("holder_kind", flat=True)) == [HolderKind.RECOVERY, HolderKind.SERVER]
    created = AuditEntry.objects.filter(organisation_id=organisation.pk, code=AuditEvent.KEY_CREATED)
    # The intake group key and one blind-index key per field, each with its own entry.
    assert created.count() == 1 + len(INDEXED_FIELDS)
    assert set(blind_index_secrets(organisation, INDEXED_FIELDS)) == set(INDEXED_FIELDS)
    assert keys.count() == len(INDEXED_FIELDS)  # reading them made none
