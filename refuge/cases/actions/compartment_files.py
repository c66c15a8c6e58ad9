"""Files inside a compartment: a passport scan in the legal identity, readable by the compartment's holders only.

A file is sanitised like every upload (refuge.intake.uploads) and encrypted in chunks under a
file key of its own, wrapped by the compartment's key, never the case key: the rest of the team
learns that the compartment holds files (the timeline says it changed), not what they show.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from refuge.accounts.models import User
from refuge.audit.events import AuditEvent
from refuge.cases.access import holds_key
from refuge.cases.actions.base import add_event, audit_act, check_on_team, touch
from refuge.cases.models import Compartment, CompartmentFile, EventKind
from refuge.core.errors import UserError
from refuge.intake.uploads import CleanUpload
from refuge.keyring.files import encrypt_file_into
from refuge.keyring.keyring import Keyring

# Files one compartment holds (a passport's pages, a birth certificate, a few more): bounded
# so that one member cannot fill the database through a single compartment.
MAX_FILES_PER_COMPARTMENT = 30


def do_add_compartment_file(
    *, actor: User, keyring: Keyring, compartment: Compartment, upload: CleanUpload
) -> CompartmentFile:
    """Put a sanitised file in a compartment the actor holds, under the compartment's key."""
    person = compartment.person
    case = person.case
    check_on_team(actor, case)
    if not holds_key(actor, compartment.key):
        raise UserError("not_granted", _("You have not been given this compartment."))
    with transaction.atomic():
        # Locked, so that two uploads at once cannot both pass the count below.
        locked = Compartment.objects.select_for_update().select_related("key").get(pk=compartment.pk)
        if CompartmentFile.objects.filter(compartment=locked).count() >= MAX_FILES_PER_COMPARTMENT:
            raise UserError(
                "too_many_files",
                _("This compartment already holds 30 files, as many as it can hold."),
                field="file",
            )
        stored = CompartmentFile(
            compartment=locked,
            key=locked.key,
            kind=upload.kind,
            size=len(upload.data),
            uploaded_by=actor,
            created_at=timezone.now(),
        )
        encrypt_file_into(stored, upload.data, upload.name, upload.removed, keyring.secret_for(locked.key), locked.key)
        stored.save(force_insert=True)
        touch(case)
        # The team's timeline says the compartment changed, as for any write to it; never the file's name.
        detail = {"pseudonym": person.pseudonym, "kind": locked.kind}
        add_event(case, keyring.secret_for(case.key), EventKind.COMPARTMENT, actor, detail)
        audit_act(AuditEvent.COMPARTMENT_FILE_ADDED, actor, "compartment", locked.pk)
    return stored


def do_record_compartment_file_read(*, actor: User, stored: CompartmentFile) -> None:
    with transaction.atomic():
        audit_act(AuditEvent.COMPARTMENT_FILE_READ, actor, "compartment", stored.compartment_id)
