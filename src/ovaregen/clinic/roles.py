"""Roles and what each may do: the one place where access is decided.

Every role but the unblinded statistician and the treatment team is blinded (ICH E9 §2.3; the
trial is triple-blind: participant, care provider and investigator, NCT05308342). The treatment
team prepares and gives the allocated treatment, so it must see the arm: it records the
treatment visits whose values reveal the arm (``Visit.arm_revealing``), and enters no outcome
(ICH E9 §2.3.1: those who assess outcomes stay blind). The monitor reads but never writes.
The admin sets studies, sites and the allocation list up and reads the audit trail,
but does not enter clinical data (least privilege). Emergency unblinding is the
investigator's, for one participant, with a reason, logged.

Running the trial by GCP (issue 13; ICH E6(R3) §3.11, 21 CFR 11): the monitor and the data
manager raise and close queries but never change a value (the site answers and changes it);
the monitor marks forms source-verified; investigators sign casebooks; the data manager and
the administrator lock and unlock; the principal investigator is an investigator who is also
told of every emergency unblinding, as the statistician is.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    COORDINATOR = "coordinator"
    MONITOR = "monitor"
    STATISTICIAN = "statistician"
    TREATMENT = "treatment"
    DATA_MANAGER = "data_manager"
    PRINCIPAL_INVESTIGATOR = "principal_investigator"


ROLE_LABELS = {
    Role.ADMIN: "administrator (blinded)",
    Role.INVESTIGATOR: "investigator (blinded)",
    Role.COORDINATOR: "study coordinator (blinded)",
    Role.MONITOR: "monitor, read-only (blinded)",
    Role.STATISTICIAN: "statistician (unblinded)",
    Role.TREATMENT: "treatment team (unblinded: prepares and gives the treatment)",
    Role.DATA_MANAGER: "data manager (blinded: queries and locks, enters no data)",
    Role.PRINCIPAL_INVESTIGATOR: "principal investigator (blinded; told of unblindings)",
}


class Permission(StrEnum):
    VIEW = "view"
    """Read studies, participants, forms, dashboards (arms hidden unless SEE_ARM)."""
    SCREEN = "screen"
    """Create participants and record screening; enrol."""
    ENTER_DATA = "enter_data"
    """Record and change eCRF values, pregnancies, adverse events."""
    DECIDE_DOSE = "decide_dose"
    """Record the clinician's decision on a G-CSF titration proposal."""
    RANDOMISE = "randomise"
    """Request the allocation of an eligible, consented participant."""
    UNBLIND_EMERGENCY = "unblind_emergency"
    """Reveal one participant's arm in an emergency, with a reason (logged)."""
    SEE_ARM = "see_arm"
    """See allocated arms and the values that reveal them (the unblinded roles)."""
    TREAT = "treat"
    """Record the treatment visits that reveal the arm (the unblinded treatment team)."""
    COMPARE_ARMS = "compare_arms"
    """See outcomes compared between arms before unblinding (the statistician only)."""
    SET_UP = "set_up"
    """Set studies, sites and the allocation list up; manage users."""
    VIEW_AUDIT = "view_audit"
    """Read and export the audit trail."""
    EXPORT = "export"
    """Export a study dataset (blinded: without the arm column)."""
    IMPORT = "import"
    """Import a study dataset (all or nothing)."""
    RAISE_QUERY = "raise_query"
    """Open, close and re-open a query on one value of one form (monitor, data manager)."""
    ANSWER_QUERY = "answer_query"
    """Answer a query raised on her site's data, changing the value with a reason if need be."""
    VERIFY_SOURCE = "verify_source"
    """Mark a form as verified against the source documents (the monitor's SDV)."""
    SIGN = "sign"
    """Sign a casebook or a form electronically, re-entering the password (21 CFR 11.200)."""
    LOCK = "lock"
    """Lock and unlock a form, a participant or the study database (with a reason)."""
    SEE_UNBLINDINGS = "see_unblindings"
    """See the list of emergency unblindings (who, whom, when, why; never the arm)."""


_INVESTIGATOR = frozenset(
    {
        Permission.VIEW,
        Permission.SCREEN,
        Permission.ENTER_DATA,
        Permission.DECIDE_DOSE,
        Permission.RANDOMISE,
        Permission.UNBLIND_EMERGENCY,
        Permission.EXPORT,
        Permission.ANSWER_QUERY,
        Permission.SIGN,
    }
)

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.VIEW,
            Permission.SET_UP,
            Permission.VIEW_AUDIT,
            Permission.IMPORT,
            Permission.LOCK,
        }
    ),
    Role.INVESTIGATOR: _INVESTIGATOR,
    Role.PRINCIPAL_INVESTIGATOR: _INVESTIGATOR | {Permission.SEE_UNBLINDINGS},
    Role.COORDINATOR: frozenset(
        {
            Permission.VIEW,
            Permission.SCREEN,
            Permission.ENTER_DATA,
            Permission.RANDOMISE,
            Permission.ANSWER_QUERY,
        }
    ),
    Role.MONITOR: frozenset(
        {Permission.VIEW, Permission.VIEW_AUDIT, Permission.RAISE_QUERY, Permission.VERIFY_SOURCE}
    ),
    Role.DATA_MANAGER: frozenset(
        {
            Permission.VIEW,
            Permission.VIEW_AUDIT,
            Permission.RAISE_QUERY,
            Permission.LOCK,
            Permission.EXPORT,
        }
    ),
    Role.STATISTICIAN: frozenset(
        {
            Permission.VIEW,
            Permission.SEE_ARM,
            Permission.COMPARE_ARMS,
            Permission.EXPORT,
            Permission.VIEW_AUDIT,
            Permission.SEE_UNBLINDINGS,
        }
    ),
    Role.TREATMENT: frozenset({Permission.VIEW, Permission.SEE_ARM, Permission.TREAT}),
}


def may(role: str, permission: Permission) -> bool:
    """Whether ``role`` holds ``permission`` (an unknown role holds none)."""
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def is_blinded(role: str) -> bool:
    """Whether ``role`` must never see an allocated arm."""
    return not may(role, Permission.SEE_ARM)
