"""Fixtures for the audit tests: appending entries the way other apps' actions do."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.db import transaction

from refuge.audit.actions import record
from refuge.audit.events import AuditEvent
from refuge.audit.models import AuditEntry
from tests.audit.helpers import ALICE, NORTH

Append = Callable[..., list[AuditEntry]]


@pytest.fixture
def append() -> Append:
    """Append entries as other apps' actions do: inside a transaction."""

    def append(count: int = 1, *, organisation_id: uuid.UUID = NORTH, actor_id: uuid.UUID = ALICE) -> list[AuditEntry]:
        with transaction.atomic():
            return [
                record(
                    AuditEvent.LOGIN_SUCCEEDED,
                    actor_id=actor_id,
                    organisation_id=organisation_id,
                    object_type="user",
                    object_id=actor_id,
                )
                for _ in range(count)
            ]

    return append
