"""``ovaregen lock`` and ``ovaregen unlock``: lock or unlock the study database, a casebook or
one form, with a reason, in the name of a data manager or an administrator (``clinic.locks``:
the same functions as the web pages; audited, the history kept)."""

from __future__ import annotations

from typing import Annotated

import typer

from ovaregen.clinic_commands.common import DataOpt, StudyOpt, UrlOpt, open_database, out, refuse

lock_app = typer.Typer(
    help="Lock the study database, a casebook or one form (with a reason).", no_args_is_help=True
)
unlock_app = typer.Typer(
    help="Unlock the study database, a casebook or one form (with a reason).",
    no_args_is_help=True,
)

ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit trail).")]
ByOpt = Annotated[
    str, typer.Option("--by", help="The data manager or administrator who does it (username).")
]
CodeOpt = Annotated[str, typer.Option("--code", help="The participant's pseudonymous code.")]
FormOpt = Annotated[
    str, typer.Option("--form", help="A visit id, or pregnancies / adverse_events.")
]


def _run(
    data: DataOpt,
    database_url: UrlOpt,
    study: str,
    code: str | None,
    form: str | None,
    *,
    by: str,
    reason: str,
    release: bool,
) -> None:
    """Lock (or unlock) in one transaction; refusals are printed, never a traceback."""
    from ovaregen.clinic import locks  # noqa: PLC0415
    from ovaregen.clinic.accounts import user_named  # noqa: PLC0415
    from ovaregen.clinic.roles import Permission  # noqa: PLC0415
    from ovaregen.clinic.scope import access_of  # noqa: PLC0415
    from ovaregen.clinic.studies import (  # noqa: PLC0415
        NotFoundError,
        StudyError,
        participant_coded,
        study_named,
    )
    from ovaregen.clinic.users import UserError  # noqa: PLC0415

    database = open_database(data, database_url)
    try:
        with database.transaction() as session:
            user = user_named(session, by)
            found = study_named(session, study)
            woman = participant_coded(session, found, code) if code is not None else None
            lockers = access_of(session, user.id).holding(Permission.LOCK)
            allowed = (
                lockers.sees(found.name, woman.site.code)
                if woman is not None
                else lockers.every_site(found.name)
            )
            if not user.active or not allowed:
                where = f"her site {woman.site.code}" if woman is not None else "every site"
                refuse(
                    f"--by: {by} may not lock here: locks are a data manager's or "
                    f"administrator's, at {where} of {found.name} (she holds "
                    f"{access_of(session, user.id).describe()})"
                )
            act = locks.unlock if release else locks.lock
            done = act(session, found, woman, form, username=by, reason=reason)
            said = f"{locks.target(done, found.name)}: " + (
                f"unlocked by {done.released_by} (reason: {done.release_reason})"
                if release
                else locks.describe(done)
            )
    except NotFoundError as error:
        refuse(str(error.args[0] if error.args else error))
    except (StudyError, UserError) as error:
        refuse(str(error))
    finally:
        database.dispose()
    out.print(said, markup=False)


@lock_app.command("study")
def lock_study(
    data: DataOpt, study: StudyOpt, reason: ReasonOpt, by: ByOpt, database_url: UrlOpt = None
) -> None:
    """Lock the study database (before the final analysis)."""
    _run(data, database_url, study, None, None, by=by, reason=reason, release=False)


@lock_app.command("participant")
def lock_participant(
    data: DataOpt,
    study: StudyOpt,
    code: CodeOpt,
    reason: ReasonOpt,
    by: ByOpt,
    database_url: UrlOpt = None,
) -> None:
    """Lock one woman's whole casebook."""
    _run(data, database_url, study, code, None, by=by, reason=reason, release=False)


@lock_app.command("form")
def lock_form(
    data: DataOpt,
    study: StudyOpt,
    code: CodeOpt,
    form: FormOpt,
    reason: ReasonOpt,
    by: ByOpt,
    database_url: UrlOpt = None,
) -> None:
    """Lock one form of one woman (a visit, or her pregnancy or adverse-event list)."""
    _run(data, database_url, study, code, form, by=by, reason=reason, release=False)


@unlock_app.command("study")
def unlock_study(
    data: DataOpt, study: StudyOpt, reason: ReasonOpt, by: ByOpt, database_url: UrlOpt = None
) -> None:
    """Unlock the study database (the lock stays in the history)."""
    _run(data, database_url, study, None, None, by=by, reason=reason, release=True)


@unlock_app.command("participant")
def unlock_participant(
    data: DataOpt,
    study: StudyOpt,
    code: CodeOpt,
    reason: ReasonOpt,
    by: ByOpt,
    database_url: UrlOpt = None,
) -> None:
    """Unlock one woman's casebook."""
    _run(data, database_url, study, code, None, by=by, reason=reason, release=True)


@unlock_app.command("form")
def unlock_form(
    data: DataOpt,
    study: StudyOpt,
    code: CodeOpt,
    form: FormOpt,
    reason: ReasonOpt,
    by: ByOpt,
    database_url: UrlOpt = None,
) -> None:
    """Unlock one form of one woman."""
    _run(data, database_url, study, code, form, by=by, reason=reason, release=True)
