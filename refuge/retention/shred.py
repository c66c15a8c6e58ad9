"""Crypto-shredding one record: every wrap of its keys destroyed, its ciphertext and blind indexes deleted.

The rows to delete are the ones Django's deletion collector finds from the case or
request (everything that cascades from it: people, compartments, notes, documents,
messages, files, blind-index rows, placements), so a capability added later is shredded
with its case without this module knowing it. The keys to destroy are the ones those
rows are encrypted under (the keyring's registry names each model's key column); a key
some row outside the record still uses is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db import models
from django.db.models.deletion import Collector

from refuge.keyring.models import Key, KeyGrant, KeyWrap
from refuge.keyring.registry import registrations


def _registered() -> dict[type[models.Model], str]:
    return {registration.model: registration.key_attname for registration in registrations()}


def _keys_of(collector: Collector) -> set[uuid.UUID]:
    registered = _registered()
    keys: set[uuid.UUID] = set()
    for model, instances in collector.data.items():
        if model in registered:
            keys.update(getattr(instance, registered[model]) for instance in instances)
    for queryset in collector.fast_deletes:
        model = queryset.model
        if model in registered:
            keys.update(queryset.values_list(registered[model], flat=True))
    return keys


def _still_used(key_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Keys some remaining registered row is encrypted under (e.g. a shelter's, or a request's kept elsewhere)."""
    wanted = set(key_ids)
    used: set[uuid.UUID] = set()
    for model, key_attname in _registered().items():
        used.update(model._default_manager.filter(**{f"{key_attname}__in": wanted}).values_list(key_attname, flat=True))
    return used


def shred_rows(records: list[models.Model]) -> int:
    """Delete records with everything that cascades from them, then destroy their keys; return keys destroyed.

    Runs inside the caller's transaction: all of it happens, or none.
    """
    collector = Collector(using="default")
    for record in records:  # one model per collect()
        collector.collect([record])
    keys = _keys_of(collector)
    collector.delete()
    doomed = keys - _still_used(keys)
    # Every wrap: members', the recovery key's, groups', requesters' (docs/keys.md). Backups
    # made before still hold them until they expire (docs/threat-model.md, "Backups").
    KeyWrap.objects.filter(key_id__in=doomed).delete()
    KeyWrap.objects.filter(holder_key_id__in=doomed).delete()
    KeyGrant.objects.filter(key_id__in=doomed).delete()
    Key.objects.filter(id__in=doomed).delete()
    return len(doomed)
