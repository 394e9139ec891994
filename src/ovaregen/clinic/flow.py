"""The participant flow: the statuses a woman passes through, and which may follow which.

INTERCHANGE.md ``status``: ``screening`` (not yet decided), ``screen_failed``, ``ongoing``
(enrolled, follow-up not finished), ``withdrawn``, ``lost_to_follow_up``, ``completed``. Only
a completed woman is analysed as completed; an ongoing one is counted as enrolled (CONSORT
2010 flow diagram: enrolment, allocation, follow-up, analysis).
"""

from __future__ import annotations

SCREENING = "screening"
SCREEN_FAILED = "screen_failed"
ONGOING = "ongoing"
WITHDRAWN = "withdrawn"
LOST_TO_FOLLOW_UP = "lost_to_follow_up"
COMPLETED = "completed"

NOT_ENROLLED = frozenset({SCREENING, SCREEN_FAILED})
ENROLLED_STATUSES = frozenset({ONGOING, WITHDRAWN, LOST_TO_FOLLOW_UP, COMPLETED})
"""A woman is enrolled once her status is ongoing or later in the flow."""

STATUS_CHANGES: dict[str, frozenset[str]] = {
    SCREEN_FAILED: frozenset({SCREENING}),
    WITHDRAWN: frozenset({ONGOING}),
    LOST_TO_FOLLOW_UP: frozenset({ONGOING}),
    COMPLETED: frozenset({ONGOING}),
}
"""Each status a person may set, and the statuses it may follow (CONSORT 2010 flow)."""
