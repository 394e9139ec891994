"""Roles and what each may do: the one place where access is decided.

Every role but the unblinded statistician and the treatment team is blinded (ICH E9 §2.3; the
trial is triple-blind: participant, care provider and investigator, NCT05308342). The treatment
team prepares and gives the allocated treatment, so it must see the arm: it records the
treatment visits whose values reveal the arm (``Visit.arm_revealing``), and enters no outcome
(ICH E9 §2.3.1: those who assess outcomes stay blind). The monitor reads but never writes.
The admin sets studies, sites and the allocation list up and reads the audit trail,
but does not enter clinical data (least privilege). Emergency unblinding is the
investigator's, for one participant, with a reason, logged.
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


ROLE_LABELS = {
    Role.ADMIN: "administrator (blinded)",
    Role.INVESTIGATOR: "investigator (blinded)",
    Role.COORDINATOR: "study coordinator (blinded)",
    Role.MONITOR: "monitor, read-only (blinded)",
    Role.STATISTICIAN: "statistician (unblinded)",
    Role.TREATMENT: "treatment team (unblinded: prepares and gives the treatment)",
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


PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {Permission.VIEW, Permission.SET_UP, Permission.VIEW_AUDIT, Permission.IMPORT}
    ),
    Role.INVESTIGATOR: frozenset(
        {
            Permission.VIEW,
            Permission.SCREEN,
            Permission.ENTER_DATA,
            Permission.DECIDE_DOSE,
            Permission.RANDOMISE,
            Permission.UNBLIND_EMERGENCY,
            Permission.EXPORT,
        }
    ),
    Role.COORDINATOR: frozenset(
        {Permission.VIEW, Permission.SCREEN, Permission.ENTER_DATA, Permission.RANDOMISE}
    ),
    Role.MONITOR: frozenset({Permission.VIEW, Permission.VIEW_AUDIT}),
    Role.STATISTICIAN: frozenset(
        {
            Permission.VIEW,
            Permission.SEE_ARM,
            Permission.COMPARE_ARMS,
            Permission.EXPORT,
            Permission.VIEW_AUDIT,
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
