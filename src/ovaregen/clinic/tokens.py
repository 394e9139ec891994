"""Personal API tokens: a script reads the JSON API as its user, without a browser.

Rules (issue 13, item 8 and "Security notes"):

- A token is of one of two kinds (``Kind``, kept beside it since revision 0016): a *personal*
  token is ``ovr_`` and 43 characters of ``secrets.token_urlsafe(32)``: 256 random bits; a
  *REDCap API* token is 32 upper-case hexadecimal characters of ``secrets.token_hex(16)``: 128
  random bits, the shape of the tokens REDCap issues, so that an unmodified PyCap client
  (``redcap.Project`` asserts a 32-character token) or REDCapR reads ``/redcap/api/`` with it.
  Both are accepted wherever a token is, with the same scope, expiry, revocation and audit. The
  two shapes cannot be taken for each other (``ovr_`` is not hexadecimal, 47 characters are not
  32): a presented string is of one kind or malformed, and is looked up by the SHA-256 of its
  exact text among the tokens of that kind.
- A token is shown once, when created; the database keeps only its SHA-256. A fast hash is the
  right one here, unlike for passwords: a password is chosen by a person and guessable, so it
  needs a slow, salted hash (Argon2) against offline guessing; a random secret of 128 or 256
  bits cannot be guessed whatever the hash's speed, and an unsalted SHA-256 lets a request find
  its token by an indexed lookup (the database compares hashes, never the secret in Python, in
  time that does not depend on how much of it is right) instead of running Argon2 on every API
  call (as the session cookie's hash does, ``web.sessions``; OWASP Session Management Cheat
  Sheet).
- A token acts with exactly its user's rights, as they are at each request: the same role,
  the same permissions, the same blind. Its ``scope`` may only narrow them: ``read`` (the
  default, least privilege: a statistician's script reads) allows GET and HEAD only;
  ``write`` also allows what the role may change. The rights are never copied into the token.
- Every token expires: after ``DEFAULT_EXPIRY_DAYS`` (90) unless another number of days,
  1 to ``MAX_EXPIRY_DAYS`` (365), is chosen; there are no everlasting tokens. A user holds at
  most ``MAX_ACTIVE_TOKENS`` live ones.
- A token is refused (401) once revoked, after its expiry, and while its user is disabled
  (disabling a user also revokes her tokens: ``clinic.accounts.set_active``).
- Creation, revocation and every refused use of a known token are audited (21 CFR Part 11
  §11.10(d), (e)): refused uses at most once a minute per token (``REFUSAL_AUDIT_EVERY``), so
  that a leaked, revoked token replayed in a loop cannot grow the append-only trail without
  bound; every refusal is logged. A presented string that matches no token is logged, not
  audited: no row names whom it concerns, and anyone on the network could otherwise write to the
  trail. The token and its hash never enter the audit trail.
- ``last_used_at`` is written at most once a minute (``TOUCH_EVERY``), as a session's
  ``last_seen`` is.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.store import audit
from ovaregen.store.models import ApiToken, User, utc_now

ENTITY = "api_token"
TOKEN_PREFIX = "ovr_"
TOKEN_PATTERN = re.compile(r"ovr_[A-Za-z0-9_-]{43}")
"""A personal token as ``new_secret`` makes it."""
REDCAP_PATTERN = re.compile(r"[0-9A-F]{32}")
"""A REDCap API token as ``new_secret`` makes it; anything matching neither is refused without
a lookup."""
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365
MAX_ACTIVE_TOKENS = 20
NAME_LENGTH = 100
TOUCH_EVERY = timedelta(seconds=60)
REFUSAL_AUDIT_EVERY = timedelta(seconds=60)


class Scope(StrEnum):
    READ = "read"
    """GET and HEAD only."""
    WRITE = "write"
    """Also the changes the user's role allows."""


class Kind(StrEnum):
    PERSONAL = "personal"
    """``ovr_`` and 256 random bits (``TOKEN_PATTERN``)."""
    REDCAP = "redcap"
    """32 upper-case hexadecimal characters, 128 random bits (``REDCAP_PATTERN``)."""


KIND_LABELS = {Kind.PERSONAL: "personal", Kind.REDCAP: "REDCap API"}
PATTERNS = {Kind.PERSONAL: TOKEN_PATTERN, Kind.REDCAP: REDCAP_PATTERN}


class Action:
    """The audit trail's words for what happened to a token."""

    CREATE = audit.Action.CREATE
    REVOKE = "revoke"
    REFUSE = "refuse"


class TokenError(ValueError):
    """A token cannot be created or revoked as asked (the message says why)."""


class Refused(StrEnum):
    """Why a presented token was refused (the API's answer says it)."""

    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USER_DISABLED = "user_disabled"
    READ_ONLY = "read_only"


REFUSAL_TEXT = {
    Refused.MALFORMED: "the token is not a token of this server (expected: Authorization: "
    "Bearer ovr_… or a REDCap API token of 32 upper-case hexadecimal characters)",
    Refused.UNKNOWN: "the API token is not valid",
    Refused.REVOKED: "the API token was revoked",
    Refused.EXPIRED: "the API token has expired",
    Refused.USER_DISABLED: "the API token's user is disabled",
    Refused.READ_ONLY: "the API token may only read (GET): create one with write access "
    "to change data",
}


@dataclass(frozen=True)
class Refusal:
    """A refused use: why, and the token it concerns (None when no token matched)."""

    why: Refused
    token_id: int | None = None
    owner: str = ""

    @property
    def text(self) -> str:
        return REFUSAL_TEXT[self.why]


class TokenRefusedError(Exception):
    """A presented token is not accepted (``refusal`` says why)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.text)
        self.refusal = refusal


@dataclass(frozen=True)
class Created:
    """A new token's row and the token itself, shown once and never again."""

    row: ApiToken
    secret: str


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def new_secret(kind: Kind = Kind.PERSONAL) -> str:
    """A new token: the prefix and 256 random bits (``secrets.token_urlsafe(32)``), or for a
    REDCap API token 128 random bits as 32 upper-case hexadecimal characters."""
    if kind is Kind.REDCAP:
        return secrets.token_hex(16).upper()
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def kind_of(presented: str) -> Kind | None:
    """The kind whose shape ``presented`` has (the shapes are disjoint), or None."""
    return next((k for k, pattern in PATTERNS.items() if pattern.fullmatch(presented)), None)


def secret_hash(secret: str) -> str:
    """What the database keeps of a token: its SHA-256, hexadecimal."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def state_of(token: ApiToken, now: datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if token.revoked_at is not None:
        return "revoked"
    if _aware(token.expires_at) <= (now or utc_now()):
        return "expired"
    return "active"


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise TokenError("a token needs a name (what the script is for)")
    if len(name) > NAME_LENGTH:
        raise TokenError(f"a token's name has at most {NAME_LENGTH} characters")
    if not name.isprintable():
        raise TokenError("a token's name may not contain control characters")
    return name


def _check_days(days: int) -> int:
    if not 1 <= days <= MAX_EXPIRY_DAYS:
        raise TokenError(
            f"a token expires after 1 to {MAX_EXPIRY_DAYS} days (not {days}); "
            f"{DEFAULT_EXPIRY_DAYS} when not said"
        )
    return days


def _check_kind(kind: str) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        raise TokenError(f"a token's kind is 'personal' or 'redcap', not {kind!r}") from None


def _check_scope(scope: str) -> Scope:
    try:
        return Scope(scope)
    except ValueError:
        raise TokenError(f"a token's scope is 'read' or 'write', not {scope!r}") from None


def tokens_of(session: Session, user: User) -> Sequence[ApiToken]:
    """The user's tokens, newest first (revoked and expired ones too)."""
    return (
        session.execute(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
        .scalars()
        .all()
    )


def _active_count(session: Session, user: User, now: datetime) -> int:
    return sum(1 for token in tokens_of(session, user) if state_of(token, now) == "active")


def _described(token: ApiToken) -> dict[str, object]:
    """What the audit trail records of a token (never the token or its hash)."""
    return {
        "owner": token.user.username,
        "name": token.name,
        "kind": token.kind,
        "scope": token.scope,
        "expires_at": audit.timestamp(_aware(token.expires_at)),
    }


def create_token(
    session: Session,
    user: User,
    *,
    name: str,
    by: str,
    scope: str = Scope.READ,
    expires_days: int = DEFAULT_EXPIRY_DAYS,
    kind: str = Kind.PERSONAL,
    now: datetime | None = None,
) -> Created:
    """A new token of ``user`` (created by ``by``: herself on the web, an operator on the
    command line) of ``kind``; audited. The returned ``secret`` is the only copy of it."""
    now = now or utc_now()
    name, chosen, days = _check_name(name), _check_scope(scope), _check_days(expires_days)
    shape = _check_kind(kind)
    if not user.active:
        raise TokenError(f"{user.username} is disabled: no token can be created for her")
    if _active_count(session, user, now) >= MAX_ACTIVE_TOKENS:
        raise TokenError(
            f"{user.username} holds {MAX_ACTIVE_TOKENS} live tokens already: revoke one first"
        )
    secret = new_secret(shape)
    row = ApiToken(
        token_hash=secret_hash(secret),
        user=user,
        name=name,
        scope=chosen.value,
        kind=shape.value,
        created_at=now,
        created_by=by,
        expires_at=now + timedelta(days=days),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        username=by,
        action=Action.CREATE,
        entity=ENTITY,
        entity_id=row.id,
        changes={key: [None, value] for key, value in _described(row).items()},
    )
    return Created(row, secret)


def token_numbered(session: Session, token_id: int, *, owner: User | None = None) -> ApiToken:
    """Token ``token_id`` (of ``owner`` when given), or a refusal: another user's token is
    answered as an unknown one."""
    query = select(ApiToken).where(ApiToken.id == token_id)
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    found = session.execute(query.with_for_update(of=ApiToken)).scalar_one_or_none()
    if found is None:
        raise TokenError(f"no token number {token_id}")
    return found


def revoke(
    session: Session, token: ApiToken, *, by: str, reason: str = "", now: datetime | None = None
) -> None:
    """Revoke ``token`` now; audited. A revoked token is refused at once, on every server."""
    if token.revoked_at is not None:
        raise TokenError(f"token {token.id} is revoked already; nothing was changed")
    token.revoked_at = now or utc_now()
    token.revoked_by = by
    audit.record(
        session,
        username=by,
        action=Action.REVOKE,
        entity=ENTITY,
        entity_id=token.id,
        changes={**_described(token), "revoked_at": [None, audit.timestamp(token.revoked_at)]},
        reason=reason,
    )


def revoke_all(session: Session, user: User, *, by: str, reason: str = "") -> int:
    """Revoke every live token of ``user`` (each audited); how many."""
    now = utc_now()
    live = [t for t in tokens_of(session, user) if t.revoked_at is None]
    for token in live:
        revoke(session, token, by=by, reason=reason, now=now)
    return len(live)


def authenticate(session: Session, presented: str, now: datetime | None = None) -> ApiToken:
    """The live token ``presented`` is, or ``TokenRefusedError`` saying why (malformed, unknown,
    revoked, expired, its user disabled). Reads only."""
    kind = kind_of(presented)
    if kind is None:
        raise TokenRefusedError(Refusal(Refused.MALFORMED))
    found = session.execute(
        select(ApiToken).where(
            ApiToken.token_hash == secret_hash(presented), ApiToken.kind == kind.value
        )
    ).scalar_one_or_none()
    if found is None:
        raise TokenRefusedError(Refusal(Refused.UNKNOWN))
    refusal = refusal_of(found, now or utc_now())
    if refusal is not None:
        raise TokenRefusedError(refusal)
    return found


def refusal_of(token: ApiToken, now: datetime) -> Refusal | None:
    """Why ``token`` may not be used now, or None."""
    why = None
    if token.revoked_at is not None:
        why = Refused.REVOKED
    elif _aware(token.expires_at) <= now:
        why = Refused.EXPIRED
    elif not token.user.active:
        why = Refused.USER_DISABLED
    return Refusal(why, token.id, token.user.username) if why is not None else None


def may_write(token: ApiToken) -> bool:
    """Whether the token's scope allows changes (the role decides which)."""
    return token.scope == Scope.WRITE


def needs_touch(token: ApiToken, now: datetime) -> bool:
    """Whether ``last_used_at`` is older than ``TOUCH_EVERY`` (or never written)."""
    return token.last_used_at is None or now - _aware(token.last_used_at) > TOUCH_EVERY


def record_refusal(
    session: Session,
    refusal: Refusal,
    *,
    method: str,
    path: str,
    client: str,
    now: datetime | None = None,
) -> bool:
    """Audit a refused use of a known token, unless one was audited in the last
    ``REFUSAL_AUDIT_EVERY``; whether an entry was written. Unknown tokens are not audited."""
    if refusal.token_id is None:
        return False
    now = now or utc_now()
    token = session.execute(
        select(ApiToken).where(ApiToken.id == refusal.token_id).with_for_update(of=ApiToken)
    ).scalar_one_or_none()
    if token is None:
        return False
    last = token.last_refused_at
    if last is not None and now - _aware(last) < REFUSAL_AUDIT_EVERY:
        return False
    token.last_refused_at = now
    audit.record(
        session,
        username=refusal.owner,
        action=Action.REFUSE,
        entity=ENTITY,
        entity_id=token.id,
        changes={
            "owner": refusal.owner,
            "name": token.name,
            "refused": refusal.why.value,
            "request": f"{method} {path}",
            "client": client,
        },
        reason=refusal.text,
    )
    return True
