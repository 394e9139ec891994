"""``ovaregen audit``: verify the audit trail's chain (against signed checkpoints too), sign
checkpoints of it, export it."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ovaregen.clinic_commands.common import (
    EXIT_USAGE,
    DataOpt,
    UrlOpt,
    err,
    open_database,
    out,
    refuse,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from ovaregen.store.anchor import Checkpoint

audit_app = typer.Typer(
    help="The audit trail: verify the chain, sign checkpoints of it, export it.",
    no_args_is_help=True,
)


AnchorOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--anchor",
        help="A checkpoint file from `audit anchor` (or a folder of them); repeatable.",
    ),
]


def _checkpoints(paths: list[Path], trusted: Ed25519PublicKey | None) -> list[Checkpoint]:
    """The authentic checkpoints in ``paths`` (files, or folders of checkpoint files);
    refuse any that is unreadable or not authentic."""
    from ovaregen.store import anchor  # noqa: PLC0415

    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("audit-checkpoint-*.json"))
            if not found:
                refuse(f"the folder {path} holds no checkpoint files (audit-checkpoint-*.json)")
            files.extend(found)
        else:
            files.append(path)
    try:
        return [
            anchor.authenticate(anchor.read_checkpoint(file), trusted).checkpoint for file in files
        ]
    except anchor.AnchorError as error:
        refuse(str(error))


def _trusted_key(public_key: Path | None) -> Ed25519PublicKey | None:
    from ovaregen.store import anchor  # noqa: PLC0415

    if public_key is None:
        return None
    try:
        return anchor.load_public_key(public_key)
    except anchor.AnchorError as error:
        refuse(str(error), EXIT_USAGE)


@audit_app.command("verify")
def audit_verify(
    data: DataOpt,
    database_url: UrlOpt = None,
    anchors: AnchorOpt = None,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The key the checkpoints must be signed with: KEYFILE.pub (or KEYFILE). "
            "Without it, only the key embedded in each checkpoint is checked.",
        ),
    ] = None,
) -> None:
    """Recompute the hash chain: every entry unchanged, none removed; with --anchor, the trail
    up to each checkpoint exactly as it was signed (no cut, rewrite or reordering)."""
    from ovaregen.store import anchor, audit  # noqa: PLC0415

    trusted = _trusted_key(public_key)
    checkpoints = _checkpoints(anchors or [], trusted)
    database = open_database(data, database_url, read_only=True)
    try:
        with anchor.snapshot(database) as session:  # one state, while the clinic writes
            result = audit.verify(session, [c.mark() for c in checkpoints])
    finally:
        database.dispose()
    if checkpoints and trusted is None:
        keys = sorted({c.key_fingerprint for c in checkpoints})
        err.print(
            "note: the checkpoints' signatures were checked only against the key embedded in "
            f"them ({', '.join(keys)}); pass --public-key KEYFILE.pub to check they are yours",
            markup=False,
        )
    if result.intact:
        against = ""
        if checkpoints:
            furthest = max(checkpoints, key=lambda c: c.last_id)
            against = (
                f"; matches {len(checkpoints)} checkpoint(s), up to entry {furthest.last_id} "
                f"({furthest.label})"
            )
        out.print(f"audit trail intact: {result.entries} entries{against}", markup=False)
        return
    for problem in result.problems:
        err.print(f"audit trail broken: {problem}", markup=False)
    refuse(f"{len(result.problems)} problem(s) in {result.entries} entries")


@audit_app.command("keygen")
def audit_keygen(
    out_file: Annotated[
        Path,
        typer.Option("--out", "-o", help="The private key file to write (and FILE.pub)."),
    ],
) -> None:
    """Make the Ed25519 key pair that signs audit checkpoints: KEYFILE (private, mode 0600;
    keep it off the database server's disks if you can) and KEYFILE.pub (give it to whoever
    verifies). Never overwrites a key."""
    from ovaregen.store import anchor  # noqa: PLC0415

    try:
        public, print_ = anchor.generate_key(out_file)
    except anchor.AnchorError as error:
        refuse(str(error))
    out.print(f"private key written to {out_file} (mode 0600)", markup=False)
    out.print(f"public key written to {public}; fingerprint {print_}", markup=False)


@audit_app.command("anchor")
def audit_anchor(
    data: DataOpt,
    key: Annotated[
        Path, typer.Option("--key", help="The private key from `audit keygen` that signs.")
    ],
    out_file: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="The checkpoint file to write (never overwritten), or a folder."
        ),
    ],
    database_url: UrlOpt = None,
    anchors: AnchorOpt = None,
) -> None:
    """Verify the trail (and against earlier checkpoints given with --anchor) and write a
    signed checkpoint of it: entry count, last entry, head hash, UTC time. Keep the file off
    the server; `audit verify --anchor FILE` then detects any cut, rewrite or reordering."""
    from ovaregen.store import anchor  # noqa: PLC0415

    try:
        private = anchor.load_private_key(key)
    except anchor.AnchorError as error:
        refuse(str(error), EXIT_USAGE)
    earlier = _checkpoints(anchors or [], private.public_key())
    database = open_database(data, database_url, read_only=True)
    try:
        with anchor.snapshot(database) as session:
            made = anchor.checkpoint_of(session, private, trusted=earlier)
        target = out_file / anchor.file_name(made) if out_file.is_dir() else out_file
        anchor.write_checkpoint(made, target)
    except anchor.AnchorError as error:
        refuse(str(error))
    finally:
        database.dispose()
    out.print(
        f"checkpoint written to {target}: {made.entries} entries up to entry {made.last_id}, "
        f"head {made.head_hash[:16]}…, signed by {made.key_fingerprint}",
        markup=False,
    )


@audit_app.command("export")
def audit_export(
    data: DataOpt,
    out_file: Annotated[Path, typer.Option("--out", "-o", help="The CSV file to write.")],
    participant: Annotated[str, typer.Option(help="Only this participant code.")] = "",
    user: Annotated[str, typer.Option(help="Only changes by this username.")] = "",
    study: Annotated[str, typer.Option(help="Only this study.")] = "",
    since: Annotated[str, typer.Option(help="From this UTC date or ISO date-time.")] = "",
    until: Annotated[str, typer.Option(help="Up to this UTC date (inclusive) or date-time.")] = "",
    database_url: UrlOpt = None,
) -> None:
    """Write the audit trail as CSV, one row per changed field (UTC times)."""
    from ovaregen.clinic.audit_view import (  # noqa: PLC0415
        FilterError,
        audit_csv,
        audit_filter,
        one_woman,
    )
    from ovaregen.clinic.views import archive_reader  # noqa: PLC0415
    from ovaregen.io.tables import write_text_atomically  # noqa: PLC0415
    from ovaregen.store import audit  # noqa: PLC0415

    reader = archive_reader(getpass.getuser())
    try:
        where = audit_filter(
            participant=participant,
            username=user,
            study=study,
            since=since,
            until=until,
            reader=reader,
        )
    except FilterError as error:
        refuse(str(error), EXIT_USAGE)
    database = open_database(data, database_url, read_only=True)
    try:
        with database.read() as session:
            entries = audit.query(session, one_woman(session, where))
            write_text_atomically(audit_csv(entries, reader), out_file)
    except FilterError as error:
        refuse(str(error), EXIT_USAGE)
    except OSError as error:
        refuse(f"cannot write {out_file}: {error.strerror or error}")
    finally:
        database.dispose()
    out.print(f"{len(entries)} audit entries written to {out_file}", markup=False)
