"""The server's own audit checkpoints: with ``--anchor-dir`` and ``--anchor-key``, a
background thread signs a checkpoint of the audit trail (``store.anchor``) at start and every
``anchor_every`` thereafter, whenever the trail grew since the newest checkpoint in the folder.

Before signing, the trail is verified whole and against that newest checkpoint, so the server
never vouches for a trail that was cut or rewritten; a refusal is logged and retried at the next
period. Files are named by time and entry count and never overwritten. The folder should be
append-only or synchronised off the server (see docs/security.md): checkpoints the server's own
shell can delete prove less than ones kept elsewhere. Source: issue 11.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ovaregen.store import anchor, audit
from ovaregen.store.database import Database
from ovaregen.web.settings import Settings

log = logging.getLogger("ovaregen.web.checkpoints")
PATTERN = "audit-checkpoint-*.json"


def newest_checkpoint(folder: Path, key: Ed25519PrivateKey) -> anchor.Checkpoint | None:
    """The checkpoint in ``folder`` signed by ``key`` that reaches furthest (None if none);
    files that are not authentic checkpoints of this key are logged and left out."""
    newest: anchor.Checkpoint | None = None
    for path in sorted(folder.glob(PATTERN)):
        try:
            found = anchor.authenticate(anchor.read_checkpoint(path), key.public_key())
        except anchor.AnchorError as error:
            log.warning("checkpoint left out: %s", error)
            continue
        if newest is None or found.checkpoint.last_id > newest.last_id:
            newest = found.checkpoint
    return newest


class CheckpointWriter:
    """Writes checkpoints of ``database``'s trail into ``folder`` signed with ``key``."""

    def __init__(
        self,
        database: Database,
        folder: Path,
        key: Ed25519PrivateKey,
        every: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.folder = folder
        self.key = key
        self.every = every
        self.clock = clock
        self.last: anchor.Checkpoint | None = newest_checkpoint(folder, key)
        self.last_error = ""
        """Why the latest attempt wrote nothing ('' when it succeeded or had nothing new)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write_if_grown(self) -> Path | None:
        """Verify and sign the trail if it grew since the newest checkpoint; the file written
        (None when nothing was new or the trail does not verify: ``last_error`` says why)."""
        trusted = () if self.last is None else (self.last,)
        try:
            with anchor.snapshot(self.database) as session:
                _, last_id, head_hash = audit.head_of(session)
                if self.last is not None and (last_id, head_hash) == (
                    self.last.last_id,
                    self.last.head_hash,
                ):
                    self.last_error = ""
                    return None
                made = anchor.checkpoint_of(session, self.key, trusted=trusted, at=self.clock())
            path = anchor.write_checkpoint(made, self.folder / anchor.file_name(made))
        except anchor.AnchorError as error:
            self.last_error = str(error)
            log.error("no audit checkpoint written: %s", error)
            return None
        self.last = anchor.read_checkpoint(path)
        self.last_error = ""
        log.info("audit checkpoint written: %s (%d entries)", path, made.entries)
        return path

    def _run(self) -> None:
        while True:
            try:
                self.write_if_grown()
            except Exception:  # the thread must outlive a failed attempt (database down…)
                self.last_error = "the checkpoint attempt failed: see the log"
                log.exception("audit checkpoint attempt failed")
            if self._stop.wait(self.every.total_seconds()):
                return

    def start(self) -> None:
        """Write a checkpoint now (in the background) and every ``every`` after."""
        self._thread = threading.Thread(target=self._run, name="audit-checkpoints", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30) -> None:
        """Stop the thread (an attempt under way finishes first)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def start_checkpoints(settings: Settings, database: Database) -> CheckpointWriter | None:
    """The running writer for ``settings`` (None when no ``anchor_dir`` is configured);
    ``anchor.AnchorError`` when the key cannot be read or the folder is missing."""
    if settings.anchor_dir is None:
        return None
    if settings.anchor_key is None:
        raise anchor.AnchorError("an anchor folder needs an anchor key to sign checkpoints with")
    if not settings.anchor_dir.is_dir():
        raise anchor.AnchorError(f"the anchor folder {settings.anchor_dir} is not a folder")
    writer = CheckpointWriter(
        database,
        settings.anchor_dir,
        anchor.load_private_key(settings.anchor_key),
        settings.anchor_every,
    )
    writer.start()
    return writer
