"""What the keyring needs of a member and of an organisation.

The keyring sits below accounts (docs/architecture.md, "Layers"): it never imports the
account models. Its tables name them through Django (`settings.AUTH_USER_MODEL` and
`"accounts.Organisation"`), and its functions take anything that has the attributes
below; `refuge.accounts.models.User` and `Organisation` have them (mypy checks every
call).
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol, cast

from django.db import models

from refuge.keyring.models import Key


class Member(Protocol):
    """A staff account that may hold keys: wraps are sealed to its public key."""

    @property
    def pk(self) -> Any: ...

    @property
    def organisation_id(self) -> uuid.UUID: ...

    @property
    def is_active(self) -> bool: ...

    @property
    def sees_content(self) -> bool: ...

    @property
    def public_key(self) -> bytes | memoryview: ...


class Organisation(Protocol):
    """The owner of keys: every key has a recovery wrap sealed to its recovery public key."""

    @property
    def pk(self) -> Any: ...

    @property
    def recovery_public_key(self) -> bytes | memoryview: ...


def new_key(organisation: Organisation, *, purpose: str, label: str, public_key: bytes | None) -> Key:
    """An unsaved Key of the organisation, with the organisation already at hand.

    The organisation object is kept on the key (as `Key(organisation=…)` would), so that
    sealing its recovery wrap reads no row.
    """
    key = Key(organisation_id=organisation.pk, purpose=purpose, label=label, public_key=public_key)
    return attach_organisation(key, organisation)


def attach_organisation(key: Key, organisation: Organisation) -> Key:
    """Keep the organisation object on a key loaded without it (no query for `key.organisation`)."""
    # The object given is the organisation's model instance (accounts.Organisation); the
    # Protocol only keeps its name out of this package.
    Key.organisation.field.set_cached_value(key, cast(models.Model, organisation))
    return key


def lock_organisation(organisation_id: uuid.UUID) -> None:
    """Lock the organisation's row (the model `Key.organisation` names) until the transaction ends."""
    model: type[models.Model] = Key._meta.get_field("organisation").related_model  # type: ignore[assignment]
    model._default_manager.select_for_update().get(pk=organisation_id)
