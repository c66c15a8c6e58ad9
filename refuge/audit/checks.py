"""An auditor's checks from the workspace: verifying the log, exporting it to a witness.

The same work as `refuge audit verify` and `refuge audit export`, and each is audited:
that someone verified the log, or took a copy to a witness, is accountable too.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils.translation import gettext as _

from refuge.audit.actions import do_sign_checkpoint, record
from refuge.audit.events import AuditEvent
from refuge.audit.export import export_lines
from refuge.audit.models import HeldEntry
from refuge.audit.rows import head_row
from refuge.audit.verify import VerifyReport, verify_chain
from refuge.core.errors import UserError

# A request verifies the log while it is at most this long (measured in docs/limits.md);
# beyond it the page refuses and points to `refuge audit verify`, which has no time limit.
MAX_ENTRIES_IN_REQUEST = 200_000


def do_verify_log(*, actor_id: uuid.UUID, organisation_id: uuid.UUID) -> tuple[VerifyReport, int]:
    """Verify the whole chain and its checkpoints, audit that it was done; return the report and held entries."""
    head = head_row()
    if head is not None and head[0] > MAX_ENTRIES_IN_REQUEST:
        raise UserError(
            "audit_log_too_long",
            _(
                "The log has more than %(limit)s entries, too many to verify while the page waits. "
                "Ask your administrator to run `refuge audit verify` on the server."
            )
            % {"limit": MAX_ENTRIES_IN_REQUEST},
        )
    report = verify_chain()
    with transaction.atomic():
        # Written after the walk, which stops at the head as it was when it began.
        record(
            AuditEvent.LOG_VERIFIED,
            actor_id=actor_id,
            organisation_id=organisation_id,
            object_type="audit_log",
            object_id="ok" if report.ok else "failed",
        )
    return report, HeldEntry.objects.count()


def do_export_for_witness(*, actor_id: uuid.UUID, organisation_id: uuid.UUID) -> list[str]:
    """Audit the export, sign the head (after checking since the last checkpoint), return the export's lines."""
    with transaction.atomic():
        # Recorded before signing, so the checkpoint exported covers this entry too, and
        # `refuge audit export` run just after yields the same checkpoints.
        record(
            AuditEvent.WITNESS_EXPORTED,
            actor_id=actor_id,
            organisation_id=organisation_id,
            object_type="audit_log",
            object_id="export",
        )
        # A tampered log's export must not replace a witness's last good copy (UserError,
        # and the entry above is rolled back with it).
        do_sign_checkpoint()
    return list(export_lines())
