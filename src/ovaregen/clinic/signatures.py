"""Electronic signatures of a casebook or one form (21 CFR Part 11 §11.50, §11.70, §11.200).

The rules:
- an investigator (``Permission.SIGN``) signs by entering her password again, even within a
  session (§11.200(a)(1): both components, her username and her password, at the first signing
  of a series and the password at each later one); the check is the login's (``clinic.users``:
  Argon2, through the login throttle, so guessing by signing is throttled like logging in); a
  wrong password or a throttled attempt signs nothing and is audited;
- a signature shows the printed name of the signer, the date and time (UTC) and its meaning,
  one of ``MEANINGS`` (§11.50): the printed name is her full name (``app_user.full_name``)
  copied onto the signature when she signs, so a later change of her name leaves her past
  signatures as they were made; a signer without a full name is refused, told how to set it
  (signatures made before revision 0014 print the username, which they showed then);
- it is bound to the exact values signed (§11.70): the SHA-256 of the signed forms' hashes
  (``clinic.record_hash``: values, versions, participant, form), with each form's version and
  hash kept beside it; it is *valid* while the forms still have that hash and *broken* after any
  change, and then says what changed ("Month 3 version 2 → 3") until signed again; re-signing
  adds a new signature, which is valid;
- the signer sends back the ``seen`` hash of what she reviewed: values changed since she
  loaded the page are refused (409), never signed unseen;
- a casebook signature covers her forms with data — visit forms, pregnancies, adverse events —
  except the arm-revealing visits, which no blinded signer sees (``record_hash``);
- signatures are never changed or deleted; each is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from ovaregen.clinic import users
from ovaregen.clinic.record_hash import Form, forms_hash, forms_of, sha256_of
from ovaregen.clinic.studies import NotFoundError, StudyError
from ovaregen.store import audit
from ovaregen.store.models import Participant, Signature, User

ENTITY = "signature"
CASEBOOK = "casebook"
MEANINGS = ("reviewed and approved", "reviewed", "responsible for the content")
"""The meanings a signature may carry (§11.50(a)(3)); the first is the default."""
REFUSED = "refuse"
"""The audit action of a signing refused for a wrong password or while throttled."""
TIME_FORMAT = "%Y-%m-%d %H:%M UTC"


class SignatureRefusedError(ValueError):
    """A signature request is incomplete or invalid (the message says which field and why)."""


class StaleSigningError(StudyError):
    """The values changed since the signer reviewed them (409): nothing was signed."""


class Outcome(StrEnum):
    SIGNED = "signed"
    WRONG_PASSWORD = "wrong password"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignatureState:
    """A signature and what changed since it was made (nothing: it is valid)."""

    signature: Signature
    changes: tuple[str, ...]

    @property
    def valid(self) -> bool:
        return not self.changes

    @property
    def signed_by(self) -> str:
        """The printed name, and the username beside it when they differ."""
        s = self.signature
        return s.printed_name if s.printed_name == s.signer else f"{s.printed_name} ({s.signer})"

    @property
    def text(self) -> str:
        s = self.signature
        made = (
            f"signed by {self.signed_by} on {s.signed_at.strftime(TIME_FORMAT)}, "
            f"meaning: {s.meaning}"
        )
        if self.valid:
            return f"{made} — valid"
        return f"{made} — broken: values changed since signing: {'; '.join(self.changes)}"

    def as_json(self) -> dict[str, object]:
        s = self.signature
        return {
            "scope": s.scope,
            "printed_name": s.printed_name,
            "signer": s.signer,
            "signed_at": s.signed_at,
            "meaning": s.meaning,
            "valid": self.valid,
            "changes": list(self.changes),
            "forms": {key: item["version"] for key, item in s.forms.items()},
            "text": self.text,
        }


@dataclass(frozen=True)
class Signing:
    """The result of a request to sign: signed (then the state), or why not."""

    outcome: Outcome
    state: SignatureState | None = None
    retry_after_seconds: int = 0


def covered(session: Session, participant: Participant, scope: str) -> dict[str, Form]:
    """The forms a signature of ``scope`` covers now: all of the casebook, or the one form
    (404 for a form without data or one not signed here)."""
    forms = forms_of(session, participant)
    if scope == CASEBOOK:
        return forms
    if scope not in forms:
        raise NotFoundError(f"participant {participant.code} has no saved form {scope!r} to sign")
    return {scope: forms[scope]}


def seen_of(scope: str, forms: dict[str, Form]) -> str:
    """What the signer is shown of the values she signs (no identity: ``record_hash``)."""
    return sha256_of({"scope": scope, "forms": {k: f.seen for k, f in forms.items()}})


def _changes(signature: Signature, now: dict[str, Form]) -> tuple[str, ...]:
    said: list[str] = []
    for key, item in signature.forms.items():
        label, before = str(item["label"]), int(item["version"])
        form = now.get(key)
        if form is None:
            said.append(f"{label} no longer has data (was {_version(key, before)})")
        elif form.sha256 != item["sha256"]:
            if form.is_list:
                said.append(f"{label} changed ({before} → {form.version} rows)")
            else:
                said.append(f"{label} version {before} → {form.version}")
    if signature.scope == CASEBOOK:
        said += [
            f"{f.label} added ({_version(k, f.version)})"
            for k, f in now.items()
            if k not in signature.forms
        ]
    return tuple(said)


def _version(key: str, version: int) -> str:
    return f"{version} rows" if key in ("pregnancies", "adverse_events") else f"version {version}"


def state(session: Session, participant: Participant, signature: Signature) -> SignatureState:
    forms = forms_of(session, participant)
    if signature.scope != CASEBOOK:
        forms = {k: f for k, f in forms.items() if k == signature.scope}
    hashes = {k: f.sha256 for k, f in forms.items()}
    if forms_hash(participant, signature.scope, hashes) == signature.values_sha256:
        return SignatureState(signature, ())
    return SignatureState(signature, _changes(signature, forms) or ("the values differ",))


def signatures_of(session: Session, participant: Participant) -> list[Signature]:
    """Every signature of the woman's records, oldest first."""
    return list(
        session.execute(
            select(Signature)
            .where(Signature.participant_id == participant.id)
            .order_by(Signature.id)
        ).scalars()
    )


def latest_states(session: Session, participant: Participant) -> list[SignatureState]:
    """The latest signature of each scope (the casebook first), with its state."""
    latest: dict[str, Signature] = {}
    for signature in signatures_of(session, participant):
        latest[signature.scope] = signature
    order = sorted(latest, key=lambda scope: (scope != CASEBOOK, latest[scope].id))
    return [state(session, participant, latest[scope]) for scope in order]


def printed_name_of(signer: User) -> str:
    """Her full name, the printed name of a signature (§11.50(a)(1)); a refusal naming how to
    set it when she has none."""
    name = signer.full_name.strip()
    if not name:
        raise SignatureRefusedError(
            f"{signer.username} has no full name, and a signature shows the printed name of its "
            "signer (21 CFR 11.50(a)(1)): an administrator sets it on the Users page "
            f"(Change… → Full name) or with `ovaregen user set-name --username {signer.username} "
            '--name "…"`; nothing was signed'
        )
    return name


def check_meaning(meaning: str) -> str:
    if meaning not in MEANINGS:
        raise SignatureRefusedError(
            f"meaning {meaning!r} is not one of the signature meanings: expected one of "
            + ", ".join(repr(m) for m in MEANINGS)
        )
    return meaning


def sign(
    session: Session,
    participant: Participant,
    *,
    signer: User,
    password: str,
    client: str,
    scope: str,
    meaning: str,
    seen: str,
) -> Signing:
    """Sign ``scope`` (the casebook or one form) as ``signer`` after checking her password
    (through the login throttle); audited whether signed or refused. The caller's transaction
    must be committed also when the outcome is a refusal (the throttle counts it)."""
    check_meaning(meaning)
    printed_name = printed_name_of(signer)
    if not password:
        raise SignatureRefusedError("password is empty: enter your password to sign")
    forms = covered(session, participant, scope)
    if not forms:
        raise SignatureRefusedError(f"participant {participant.code} has no saved form to sign")
    if seen != seen_of(scope, forms):
        raise StaleSigningError(
            f"the values of {participant.code} changed since you reviewed them: reload the "
            "page, review them and sign again; nothing was signed"
        )
    attempt = users.begin_login(session, username=signer.username, client=client)
    result = users.finish_login(session, attempt, users.check(attempt, password))
    if result.user is None:
        outcome = Outcome.THROTTLED if result.throttled else Outcome.WRONG_PASSWORD
        audit.record(
            session,
            username=signer.username,
            action=REFUSED,
            entity=ENTITY,
            entity_id=participant.code,
            changes={"scope": scope, "meaning": meaning, "refused": outcome.value},
            study=participant.study.name,
            participant=participant.code,
            reason="signing refused: " + outcome.value,
        )
        return Signing(outcome, retry_after_seconds=result.retry_after_seconds)
    hashes = {k: f.sha256 for k, f in forms.items()}
    signature = Signature(
        participant_id=participant.id,
        scope=scope,
        meaning=meaning,
        signer=signer.username,
        printed_name=printed_name,
        values_sha256=forms_hash(participant, scope, hashes),
        forms={
            k: {"label": f.label, "version": f.version, "sha256": f.sha256}
            for k, f in forms.items()
        },
    )
    session.add(signature)
    session.flush()
    audit.record(
        session,
        username=signer.username,
        action=audit.Action.CREATE,
        entity=ENTITY,
        entity_id=signature.id,
        changes={
            "scope": [None, scope],
            "meaning": [None, meaning],
            "printed_name": [None, signature.printed_name],
            "values_sha256": [None, signature.values_sha256],
            "forms": [None, {k: f.version for k, f in forms.items()}],
        },
        study=participant.study.name,
        participant=participant.code,
        reason=f"electronic signature: {meaning}",
    )
    return Signing(Outcome.SIGNED, SignatureState(signature, ()))
