"""Every change to a case. Nothing else writes cases or their events.

Split by who acts: ``submission`` (a case comes in), ``workflow`` (staff),
``citizen`` (the token holder), ``mailing`` (the background tasks).
"""

from medborg.cases.services.citizen import (
    AlreadyRated,
    answer_information,
    has_rated,
    rate_case,
)
from medborg.cases.services.common import StaleCase, state_of
from medborg.cases.services.publishing import publish_case
from medborg.cases.services.submission import (
    Submission,
    SubmissionKeyReused,
    add_pending_photos,
    purge_pending_photos,
    remove_pending_photo,
    submit_case,
)
from medborg.cases.services.workflow import (
    DeadlineNotSet,
    ReopenExpired,
    StepNotAllowed,
    add_note,
    assign_case,
    extend_deadline,
    mark_duplicate,
    move_case,
    move_case_to_step,
    refer_case,
    reopen_case,
    reopen_until,
    request_information,
)

__all__ = [
    "AlreadyRated",
    "DeadlineNotSet",
    "ReopenExpired",
    "StaleCase",
    "StepNotAllowed",
    "Submission",
    "SubmissionKeyReused",
    "add_note",
    "add_pending_photos",
    "answer_information",
    "assign_case",
    "extend_deadline",
    "has_rated",
    "mark_duplicate",
    "move_case",
    "move_case_to_step",
    "publish_case",
    "purge_pending_photos",
    "rate_case",
    "refer_case",
    "remove_pending_photo",
    "reopen_case",
    "reopen_until",
    "request_information",
    "state_of",
    "submit_case",
]
