"""Every write of the intake, one module per resource (docs/development.md, "How to add a capability").

- `submissions`: a new request from the portal (`prepare_submission`, `store_submission`);
- `messages`: the requester's messages and the team's replies, declining;
- `status`: the status the requester sees, a suspected plant, the reads staff record;
- `links`: links between requests;
- `common`: the hour requester times are kept to, encrypted files.
"""

from refuge.intake.actions.common import this_hour
from refuge.intake.actions.links import (
    MAX_LINKS_PER_REQUEST,
    do_link_requests,
    do_unlink_requests,
    find_request_to_link,
)
from refuge.intake.actions.messages import (
    MAX_FILES_PER_REQUEST,
    MAX_MESSAGE_CHARS,
    MAX_REQUESTER_MESSAGES_PER_HOUR,
    do_decline,
    do_reply,
    do_requester_message,
)
from refuge.intake.actions.status import do_mark_possible_plant, do_record_read, do_record_reads, do_set_status
from refuge.intake.actions.submissions import (
    INDEXED_FIELDS,
    REFERENCE_DRAWS,
    PreparedSubmission,
    Submission,
    do_submit_request,
    prepare_submission,
    store_submission,
)

__all__ = [
    "INDEXED_FIELDS",
    "MAX_FILES_PER_REQUEST",
    "MAX_LINKS_PER_REQUEST",
    "MAX_MESSAGE_CHARS",
    "MAX_REQUESTER_MESSAGES_PER_HOUR",
    "REFERENCE_DRAWS",
    "PreparedSubmission",
    "Submission",
    "do_decline",
    "do_link_requests",
    "do_mark_possible_plant",
    "do_record_read",
    "do_record_reads",
    "do_reply",
    "do_requester_message",
    "do_set_status",
    "do_submit_request",
    "do_unlink_requests",
    "find_request_to_link",
    "prepare_submission",
    "store_submission",
    "this_hour",
]
