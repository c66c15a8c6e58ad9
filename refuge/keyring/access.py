"""The only way a view gets an owed key grant: the same 404 for missing and not yours."""

from __future__ import annotations

import uuid

from refuge.core.lookup import by_id_or_404
from refuge.keyring.holders import Member
from refuge.keyring.models import KeyGrant
from refuge.keyring.queries import grants_to_approve


def access_grant(user: Member, grant_id: uuid.UUID | str) -> KeyGrant:
    """A pending grant of a key the user holds, for someone else; else 404.

    Administrators, auditors, members who do not hold the key, the member it is owed to
    and every other organisation get the same 404 as for an id that does not exist.
    """
    return by_id_or_404(grants_to_approve(user), grant_id)
