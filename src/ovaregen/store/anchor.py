"""Signed checkpoints of the audit trail, kept outside the database.

The hash chain (``store.audit``) detects a change by someone who cannot rewrite the whole
trail; whoever holds the database can (cut the tail and fix the head, or rewrite an entry and
recompute every later hash). A checkpoint records, at one moment, how many entries the trail
had, the last one's id and the chain's hash there, signed with an Ed25519 key the database does
not hold. Kept off the server (append-only or WORM storage), it lets ``verify`` prove that the
trail up to that entry is still exactly what it was: any truncation, rewrite or reordering
before it changes the recomputed hash or the count.

Trust rule: a checkpoint embeds its public key, but anyone able to rewrite the trail can also
sign a new checkpoint with a key of their own. It is authentic only when checked against a key
the user holds (the ``.pub`` file, or the private key file); checked against its embedded key
alone, it only shows the file was not edited after signing, and ``Authenticity.trusted`` says
so. Source: issue 11 (attack run); RFC 8032 (Ed25519).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import json
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy.orm import Session

from ovaregen.store import audit
from ovaregen.store.database import Database

FORMAT = "ovaregen-audit-checkpoint/1"
"""The format of a checkpoint file (a JSON object; the signature covers every other field)."""
PUBLIC_SUFFIX = ".pub"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_FIELDS = ("format", "entries", "last_id", "head_hash", "at", "key_fingerprint", "public_key")


class AnchorError(ValueError):
    """A key or checkpoint file that cannot be used (shown to the user, no traceback)."""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """``SHA256:`` and the hex SHA-256 of the raw 32-byte public key: the key's id."""
    return "SHA256:" + hashlib.sha256(_raw(public_key)).hexdigest()


def public_path(private_path: Path) -> Path:
    """Where ``generate_key`` writes the public key of ``private_path``: beside it, ``.pub``."""
    return private_path.with_name(private_path.name + PUBLIC_SUFFIX)


def _write_new(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to a new file ``path`` with ``mode``; refuse if it exists."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(descriptor, mode)
        os.write(descriptor, data)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def generate_key(private_path: Path) -> tuple[Path, str]:
    """Write a new Ed25519 private key to ``private_path`` (PEM, mode 0600) and its public
    key to ``private_path.pub`` (PEM); never overwrite either. Returns the public key's path
    and fingerprint."""
    public = public_path(private_path)
    for path in (private_path, public):
        if path.exists() or path.is_symlink():
            raise AnchorError(f"{path} exists already: a key is never overwritten")
    if not private_path.parent.is_dir():
        raise AnchorError(f"the folder {private_path.parent} does not exist")
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    try:
        _write_new(private_path, private_pem, 0o600)
        _write_new(public, public_pem, 0o644)
    except OSError as error:
        raise AnchorError(f"cannot write the key: {error.strerror or error}") from error
    return public, fingerprint(key.public_key())


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise AnchorError(f"cannot read the {what} {path}: {error.strerror or error}") from error


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file ``path`` (from ``generate_key``)."""
    data = _read(path, "private key")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise AnchorError(
            f"{path} is not an unencrypted PEM private key (expected the file written by "
            "`ovaregen audit keygen`)"
        ) from error
    if not isinstance(key, Ed25519PrivateKey):
        raise AnchorError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The Ed25519 public key in ``path``: a ``.pub`` PEM file, or the private key file."""
    data = _read(path, "key")
    if b"PRIVATE KEY" in data:
        return load_private_key(path).public_key()
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as error:
        raise AnchorError(
            f"{path} is not a PEM public key (expected the .pub file written by "
            "`ovaregen audit keygen`)"
        ) from error
    if not isinstance(key, Ed25519PublicKey):
        raise AnchorError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


@dataclass(frozen=True)
class Checkpoint:
    """The trail at one moment, and who signed it; ``signature`` covers every other field."""

    entries: int
    last_id: int
    head_hash: str
    at: str
    """UTC, ISO 8601 with microseconds (``audit.timestamp``)."""
    key_fingerprint: str
    public_key: str
    """The signing key, raw 32 bytes in base64 (not trusted on its own: see the module)."""
    signature: str
    format: str = FORMAT
    source: str = ""
    """The file it was read from (not signed; for messages)."""

    def payload(self) -> bytes:
        """The signed bytes: canonical JSON of every field but the signature."""
        fields = {name: getattr(self, name) for name in _FIELDS}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    @property
    def label(self) -> str:
        """'the checkpoint of 2026-12-01 14:40:00 UTC (FILE)' for messages."""
        when = self.at[:19].replace("T", " ")
        where = f" ({Path(self.source).name})" if self.source else ""
        return f"the checkpoint of {when} UTC{where}"

    def mark(self) -> audit.Mark:
        return audit.Mark(self.entries, self.last_id, self.head_hash, self.label)

    def to_json(self) -> str:
        fields = {name: getattr(self, name) for name in (*_FIELDS, "signature")}
        return json.dumps(fields, indent=2, sort_keys=True) + "\n"


def sign(
    entries: int, last_id: int, head_hash: str, key: Ed25519PrivateKey, at: datetime
) -> Checkpoint:
    """A checkpoint of the given trail state, signed with ``key``."""
    public = key.public_key()
    unsigned = Checkpoint(
        entries=entries,
        last_id=last_id,
        head_hash=head_hash,
        at=audit.timestamp(at),
        key_fingerprint=fingerprint(public),
        public_key=base64.b64encode(_raw(public)).decode("ascii"),
        signature="",
    )
    signature = base64.b64encode(key.sign(unsigned.payload())).decode("ascii")
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


class BrokenTrailError(AnchorError):
    """The trail does not verify: a checkpoint of it would vouch for the damage."""

    def __init__(self, verification: audit.Verification) -> None:
        self.verification = verification
        problems = "; ".join(str(p) for p in verification.problems)
        super().__init__(f"the audit trail is broken, no checkpoint was written: {problems}")


def checkpoint_of(
    session: Session,
    key: Ed25519PrivateKey,
    *,
    trusted: Sequence[Checkpoint] = (),
    at: datetime | None = None,
) -> Checkpoint:
    """Verify the trail (against ``trusted`` checkpoints too) and sign its current head;
    refuse (``BrokenTrailError``) when it does not verify. Run it in one snapshot of the
    database (``snapshot``) so that entries written meanwhile do not disturb it."""
    result = audit.verify(session, [c.mark() for c in trusted])
    if not result.intact:
        raise BrokenTrailError(result)
    entries, last_id, head_hash = audit.head_of(session)
    return sign(entries, last_id, head_hash, key, at or datetime.now(UTC))


def file_name(checkpoint: Checkpoint) -> str:
    """``audit-checkpoint-20261201T144000Z-000130.json``: time, then entry count."""
    when = checkpoint.at[:19].replace("-", "").replace(":", "")
    return f"audit-checkpoint-{when}Z-{checkpoint.entries:06d}.json"


def write_checkpoint(checkpoint: Checkpoint, path: Path) -> Path:
    """Write ``checkpoint`` to ``path`` whole or not at all, never over an existing file:
    a temporary file beside it is hard-linked into place (fails if ``path`` exists); where
    the file system has no hard links, ``path`` is created exclusively instead."""
    data = checkpoint.to_json().encode("utf-8")
    if path.exists() or path.is_symlink():
        raise AnchorError(f"{path} exists already: a checkpoint is never overwritten")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        _write_new(temporary, data, 0o444)
        try:
            os.link(temporary, path)
        except FileExistsError as error:
            raise AnchorError(
                f"{path} exists already: a checkpoint is never overwritten"
            ) from error
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            _write_new(path, data, 0o444)
        _sync_folder(path.parent)
    except FileExistsError as error:
        raise AnchorError(f"{path} exists already: a checkpoint is never overwritten") from error
    except OSError as error:
        raise AnchorError(f"cannot write {path}: {error.strerror or error}") from error
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
    return path


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _field(raw: dict[str, Any], name: str, kind: type, path: Path) -> Any:
    value = raw.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = "a whole number" if kind is int else "text"
        raise AnchorError(f"{path} is not a valid checkpoint: {name!r} must be {expected}")
    return value


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint in ``path``, its fields checked (not yet its signature)."""
    text = _read(path, "checkpoint")
    try:
        raw = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise AnchorError(f"{path} is not a checkpoint file (not JSON: {error})") from error
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise AnchorError(f"{path} is not a checkpoint file (expected format {FORMAT!r})")
    entries = _field(raw, "entries", int, path)
    last_id = _field(raw, "last_id", int, path)
    texts = {
        name: _field(raw, name, str, path)
        for name in ("head_hash", "at", "key_fingerprint", "public_key", "signature")
    }
    if entries < 0 or last_id < 0 or not _HEX64.fullmatch(texts["head_hash"]):
        raise AnchorError(
            f"{path} is not a valid checkpoint: entries and last_id must be 0 or more and "
            "head_hash 64 hexadecimal digits"
        )
    return Checkpoint(entries=entries, last_id=last_id, **texts, format=FORMAT, source=str(path))


@dataclass(frozen=True)
class Authenticity:
    """A checkpoint whose signature verified, and against which key."""

    checkpoint: Checkpoint
    trusted: bool
    """True when checked against a key the user supplied; False when only against the key
    embedded in the checkpoint (which proves no more than an unedited file)."""


def authenticate(checkpoint: Checkpoint, trusted_key: Ed25519PublicKey | None) -> Authenticity:
    """Check ``checkpoint``'s signature against ``trusted_key``, or, when None, against the
    key it embeds; refuse (``AnchorError``) a checkpoint that is not authentic."""
    where = checkpoint.source or "the checkpoint"
    try:
        embedded = Ed25519PublicKey.from_public_bytes(
            base64.b64decode(checkpoint.public_key, validate=True)
        )
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (binascii.Error, ValueError) as error:
        raise AnchorError(
            f"{where} is not authentic: its public key or signature is not valid base64 "
            "Ed25519 data"
        ) from error
    if fingerprint(embedded) != checkpoint.key_fingerprint:
        raise AnchorError(
            f"{where} is not authentic: its key fingerprint does not match its public key"
        )
    key = embedded if trusted_key is None else trusted_key
    if trusted_key is not None and fingerprint(trusted_key) != checkpoint.key_fingerprint:
        raise AnchorError(
            f"{where} is not authentic: it was signed by key {checkpoint.key_fingerprint}, "
            f"not by the given key {fingerprint(trusted_key)}"
        )
    try:
        key.verify(signature, checkpoint.payload())
    except InvalidSignature as error:
        raise AnchorError(
            f"{where} is not authentic: its signature does not match its content (the file "
            "was changed after it was signed)"
        ) from error
    return Authenticity(checkpoint, trusted_key is not None)


def verify_with(session: Session, checkpoints: Sequence[Checkpoint]) -> audit.Verification:
    """The chain verified, and checked against each (authenticated) checkpoint."""
    return audit.verify(session, [checkpoint.mark() for checkpoint in checkpoints])


@contextmanager
def snapshot(database: Database) -> Iterator[Session]:
    """A transaction that sees one state of the whole trail while others keep writing:
    REPEATABLE READ on PostgreSQL; SQLite's transactions are serialised already."""
    if database.is_sqlite:
        with database.transaction() as session:
            yield session
        return
    with (
        database.engine.connect().execution_options(
            isolation_level="REPEATABLE READ"
        ) as connection,
        Session(connection) as session,
        session.begin(),
    ):
        yield session
