"""The clinic database: one SQLAlchemy 2 model for SQLite and PostgreSQL.

Study data are pseudonymous: a participant is a code (site code and a number), never a name.
Form values are held per visit as JSON in the data dictionary's canonical units, so the
interchange format (INTERCHANGE.md) round-trips through the database without loss. Rows that
people edit carry a ``version`` column for optimistic concurrency. The allocation list is the
only table that holds an arm; it is read through ``clinic.blinding`` alone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utc_now() -> datetime:
    """The current time, timezone-aware UTC (every timestamp of the database)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared class attribute
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSON,
    }


class User(Base):
    """A person who logs in; her roles are on her grants (``SiteAccess``, revision 0015)."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    """The printed name of her signatures (21 CFR 11.50(a)(1)); empty until set (revision
    0014): a user who may sign cannot sign without it."""
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class LoginFailure(Base):
    """A failed login, kept for throttling (per username and per client address)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utc_now, index=True)


class WebSession(Base):
    """A logged-in browser: the cookie holds a random token, the database only its SHA-256."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(Base):
    """A personal API token of a user, for scripts (``clinic.tokens``): the token is shown
    once and only its SHA-256 is kept; ``scope`` is ``read`` (GET and HEAD) or ``write``."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="personal", server_default="personal")
    """``personal`` (``ovr_…``) or ``redcap`` (32 hexadecimal characters), revision 0016."""
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_refused_at: Mapped[datetime | None] = mapped_column(nullable=True)
    """When a use was last refused and audited (refusals are audited at most once a minute)."""

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class Site(Base):
    """A clinic taking part (a multi-centre study has several)."""

    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class Study(Base):
    """A study run from one protocol file (``domain.protocols``), at the version set up."""

    __tablename__ = "study"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    protocol_version: Mapped[str] = mapped_column(String(32))
    target_enrolment: Mapped[int | None] = mapped_column(Integer, nullable=True)
    randomised: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class SiteAccess(Base):
    """One grant of a user's access (``clinic.scope``): a study (NULL: every study) × a site
    (NULL: every site) × her role there (``clinic.roles.Role``). A user with no grant sees no
    participant and may do nothing (least privilege)."""

    __tablename__ = "site_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    study_id: Mapped[int | None] = mapped_column(
        ForeignKey("study.id", ondelete="CASCADE"), nullable=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("site.id", ondelete="CASCADE"), nullable=True
    )
    role: Mapped[str] = mapped_column(String(32))
    granted_at: Mapped[datetime] = mapped_column(default=utc_now)
    granted_by: Mapped[str] = mapped_column(String(64))

    study: Mapped[Study | None] = relationship(lazy="joined")
    site: Mapped[Site | None] = relationship(lazy="joined")


class Participant(Base):
    """A woman in a study, by pseudonymous code; ``status`` follows ``clinic.participants``."""

    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("study_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"))
    code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="screening")
    eligible: Mapped[str | None] = mapped_column(String(8), nullable=True)
    failed_criteria: Mapped[str] = mapped_column(Text, default="")
    unknown_criteria: Mapped[str] = mapped_column(Text, default="")
    enrolled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    study: Mapped[Study] = relationship(lazy="joined")
    site: Mapped[Site] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class FormEntry(Base):
    """The values of one visit's eCRF for one participant, canonical units, as JSON."""

    __tablename__ = "form_entry"
    __table_args__ = (UniqueConstraint("participant_id", "visit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    visit: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Pregnancy(Base):
    """One pregnancy after treatment (a row of pregnancies.csv)."""

    __tablename__ = "pregnancy"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    conception: Mapped[str | None] = mapped_column(String(16), nullable=True)
    months_after_treatment: Mapped[float | None] = mapped_column(nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    infants_live_born: Mapped[int | None] = mapped_column(nullable=True)
    infant_death_first_year: Mapped[int | None] = mapped_column(nullable=True)
    congenital_anomaly: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AdverseEvent(Base):
    """An adverse event graded CTCAE-style (grade 1–5) with the CTCAE version used."""

    __tablename__ = "adverse_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    term: Mapped[str] = mapped_column(String(200))
    onset_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    grade: Mapped[int | None] = mapped_column(Integer, nullable=True)
    ctcae_version: Mapped[str | None] = mapped_column(String(16), nullable=True)
    serious: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    related: Mapped[str | None] = mapped_column(String(32), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class GcsfDecision(Base):
    """The clinician's decision on the titration proposal after G-CSF day ``day``."""

    __tablename__ = "gcsf_decision"
    __table_args__ = (UniqueConstraint("participant_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[int] = mapped_column(Integer)
    proposed_action: Mapped[str] = mapped_column(String(32))
    proposed_dose_ug_kg: Mapped[float | None] = mapped_column(nullable=True)
    proposal_reason: Mapped[str] = mapped_column(Text)
    table_version: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(16))
    decided_dose_ug_kg: Mapped[float | None] = mapped_column(nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RandomisationList(Base):
    """A study's concealed allocation list: how it was generated.

    The seed is not stored: only its SHA-256 commitment (``seed_sha256``), against which the
    seed kept by the person who made the list is checked, and the key that derives the strata
    of sites added later (``late_strata_key_hex``, from the seed; ``clinic.randomisation``).
    """

    __tablename__ = "randomisation_list"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), unique=True)
    seed_sha256: Mapped[str] = mapped_column(String(64))
    late_strata_key_hex: Mapped[str] = mapped_column(String(64))
    block_sizes: Mapped[str] = mapped_column(String(64))
    factors: Mapped[dict[str, Any]] = mapped_column(default=dict)
    slots_per_stratum: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(64))


class AllocationSlot(Base):
    """One slot of the list: a stratum's ``sequence``-th allocation, its arm and neutral code."""

    __tablename__ = "allocation_slot"
    __table_args__ = (UniqueConstraint("study_id", "stratum", "sequence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    stratum: Mapped[str] = mapped_column(String(200))
    sequence: Mapped[int] = mapped_column(Integer)
    block: Mapped[int] = mapped_column(Integer)
    arm: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16), unique=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id"), unique=True, nullable=True
    )
    allocated_at: Mapped[datetime | None] = mapped_column(nullable=True)
    allocated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Unblinding(Base):
    """An emergency unblinding: who, when, why (the arm itself is not copied here)."""

    __tablename__ = "unblinding"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utc_now)
    category: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The stated emergency (``clinic.unblinding.CATEGORIES``); None for rows before 0012."""


class AuditEntry(Base):
    """One change of study data; append-only (database triggers) and hash-chained."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    study: Mapped[str] = mapped_column(String(64), default="")
    participant: Mapped[str] = mapped_column(String(64), default="", index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    reason: Mapped[str] = mapped_column(Text, default="")
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """The chain's last hash, one row, locked by every writer so entries chain in order."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


# One-time password links (issue 13, item 1: web user administration)
class PasswordLink(Base):
    """A one-time link that sets a user's password (``clinic.password_links``): the link
    holds a random secret, the database only its SHA-256; it expires, is spent by one use,
    and is voided when a newer one is issued."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    voided_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


# Queries by people: the monitor's query cycle (issue 13 item 2)


class DataQuery(Base):
    """A query raised by a monitor or data manager on one value of one form
    (``clinic.data_queries``): ``state`` is open, answered or closed; ``value_when_raised``
    is the value as the raiser saw it (display text, NULL when unknown); ``from_check`` names the
    computed check it was raised from (``clinic.queries.QueryKind``), empty for a manual one."""

    __tablename__ = "data_query"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    visit: Mapped[str] = mapped_column(String(64))
    variable: Mapped[str] = mapped_column(String(64))
    value_when_raised: Mapped[str | None] = mapped_column(Text, nullable=True)
    from_check: Mapped[str] = mapped_column(String(32), default="")
    state: Mapped[str] = mapped_column(String(16), default="open")
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_action_at: Mapped[datetime] = mapped_column(default=utc_now)
    version: Mapped[int] = mapped_column(Integer, default=1)

    participant: Mapped[Participant] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class QueryMessage(Base):
    """One step of a query's thread: who (name and role), when (UTC), which transition
    (raise, answer, close, reopen), the text, and the value change an answer made."""

    __tablename__ = "query_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = mapped_column(
        ForeignKey("data_query.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(16))
    username: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utc_now)
    text: Mapped[str] = mapped_column(Text)
    value_changed: Mapped[bool] = mapped_column(Boolean, default=False)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)


# Source-data verification and electronic signatures (issue 13 items 3, 4)


class SourceVerification(Base):
    """A monitor's mark that one form of a woman was verified against source (ICH E6(R3)
    §3.11.4): the form's version and the SHA-256 of its values then (``clinic.record_hash``).
    Marks are never changed or deleted; a later change of the form shows as cleared."""

    __tablename__ = "source_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    form: Mapped[str] = mapped_column(String(64))
    form_version: Mapped[int] = mapped_column(Integer)
    values_sha256: Mapped[str] = mapped_column(String(64))
    verified_by: Mapped[str] = mapped_column(String(64))
    verified_at: Mapped[datetime] = mapped_column(default=utc_now)


class Signature(Base):
    """An investigator's electronic signature of a casebook or one form (21 CFR 11.50,
    11.70): printed name, time (UTC), meaning, and the SHA-256 of the exact values signed,
    with each form's version and hash (``forms``) to say what changed since. Never deleted."""

    __tablename__ = "signature"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    scope: Mapped[str] = mapped_column(String(64))
    """``casebook`` or the form's key (a visit id)."""
    meaning: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(64))
    printed_name: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(default=utc_now)
    values_sha256: Mapped[str] = mapped_column(String(64))
    forms: Mapped[dict[str, Any]] = mapped_column(default=dict)


# Locks (issue 13, item 5): form, participant and study (database) locks.
OPEN_LOCK_INDEXES: dict[str, tuple[str, ...]] = {
    "study": ("study_id",),
    "participant": ("participant_id",),
    "form": ("participant_id", "visit"),
}
"""The columns that name what a lock of each scope holds: one open lock of each (revision 0014)."""


class DataLock(Base):
    """One lock of study data (``clinic.locks``): the study, a participant's casebook, or one
    form of hers (``visit``: a visit id, or ``pregnancies``/``adverse_events``). Never
    deleted: unlocking fills ``released_*``, so the history stays (ICH E6(R3) §4.2.5). At most
    one open lock (``released_at`` NULL) of each study, casebook and form: partial unique
    indexes (revision 0014), so two requests at the same moment cannot both lock."""

    __tablename__ = "data_lock"
    __table_args__ = tuple(
        Index(
            f"uq_data_lock_open_{scope}",
            *columns,
            unique=True,
            sqlite_where=text(f"scope = '{scope}' AND released_at IS NULL"),
            postgresql_where=text(f"scope = '{scope}' AND released_at IS NULL"),
        )
        for scope, columns in OPEN_LOCK_INDEXES.items()
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id"), nullable=True, index=True
    )
    visit: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locked_at: Mapped[datetime] = mapped_column(default=utc_now)
    locked_by: Mapped[str] = mapped_column(String(64))
    lock_reason: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    release_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    participant: Mapped[Participant | None] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# Protocol deviations (issue 13 item 6: visit windows, eligibility after randomisation).
class ProtocolDeviation(Base):
    """A departure from the protocol for one woman: opened by the system or by hand, then
    reviewed with a comment (``clinic.deviations``); versioned for concurrent reviews."""

    __tablename__ = "protocol_deviation"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participant.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    visit: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(default=utc_now)
    detected_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    reviewed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    review_comment: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)

    participant: Mapped[Participant] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


# Participant questionnaire links (issue 13 item 8, clinic.questionnaire_links)
class QuestionnaireLink(Base):
    """A one-use link that lets a participant answer one follow-up visit's questions without
    logging in: only the SHA-256 of its secret is kept; ``answers`` holds what she reported
    for the coordinator to review (pregnancies, infants), the form values go to the visit."""

    __tablename__ = "questionnaire_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    visit: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    created_by: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)

    participant: Mapped[Participant] = relationship(lazy="joined", innerjoin=True)


# The FHIR server of a study's laboratory results (issue 15, clinic.fhir_settings)
class FhirServer(Base):
    """The hospital's or central laboratory's FHIR R4 server that the participant page asks for
    a woman's laboratory results, and the identifier system under which it knows the women by
    their participant id; one per study, set by an administrator (revision 0017)."""

    __tablename__ = "fhir_server"

    id: Mapped[int] = mapped_column(primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id"), unique=True)
    base_url: Mapped[str] = mapped_column(String(500))
    identifier_system: Mapped[str] = mapped_column(String(500))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utc_now)

    study: Mapped[Study] = relationship(lazy="joined", innerjoin=True)
