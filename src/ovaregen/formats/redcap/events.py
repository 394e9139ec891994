"""Reading a REDCap project's events and instrument designations (the CSVs of "Define My
Events" and "Designate Instruments for My Events", or the API's ``event`` and
``formEventMapping`` contents).

For a project set up from ovaregen's dictionary the events file names each event after its
visit (``event_name`` ``month_3``, unique name ``month_3_arm_1``; ``enrolment`` for the values
held once per woman); without the file the protocol's events are taken. A designation must
name an event of the events file and a form of the data dictionary. Errors name the file,
line, column and value.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ovaregen.domain.protocols import Protocol
from ovaregen.formats.redcap.naming import ENROLMENT_EVENT
from ovaregen.io.dataset import Finding, Severity


def read_events(
    path: Path, protocol: Protocol, findings: list[Finding]
) -> dict[str, str | None] | None:
    """Unique event name → follow-up visit (None: the enrolment event), from the events
    file; ``None`` when it cannot be read (a finding says why)."""
    frame = _read(path, ("event_name", "unique_event_name"), findings)
    if frame is None:
        return None
    visits = {v.id for v in protocol.followup_visits}
    events: dict[str, str | None] = {}
    for line, (written, written_unique) in enumerate(
        frame.select("event_name", "unique_event_name").rows(), 2
    ):
        name, unique = (written or "").strip(), (written_unique or "").strip()
        if name == ENROLMENT_EVENT:
            events[unique] = None
        elif name in visits:
            events[unique] = name
        else:
            findings.append(
                Finding(
                    Severity.ERROR,
                    path.name,
                    f"event {name!r} is neither the enrolment event nor a follow-up visit of "
                    f"{protocol.name}: read this project with a mapping file (--mapping)",
                    line=line,
                    column="event_name",
                    value=name,
                    expected=", ".join([ENROLMENT_EVENT, *sorted(visits)]),
                )
            )
    return events


def check_designations(
    path: Path, events: dict[str, str | None], forms: frozenset[str], findings: list[Finding]
) -> None:
    """Every designation names a known event and a form of the data dictionary."""
    frame = _read(path, ("unique_event_name", "form"), findings)
    if frame is None:
        return
    for line, (event, form) in enumerate(frame.select("unique_event_name", "form").rows(), 2):
        if event not in events:
            findings.append(
                Finding(
                    Severity.ERROR,
                    path.name,
                    f"event {event!r} is not an event of the project",
                    line=line,
                    column="unique_event_name",
                    value=event,
                    expected=", ".join(events),
                )
            )
        if form not in forms:
            findings.append(
                Finding(
                    Severity.ERROR,
                    path.name,
                    f"form {form!r} is not a form of the data dictionary",
                    line=line,
                    column="form",
                    value=form,
                )
            )


def _read(path: Path, columns: tuple[str, ...], findings: list[Finding]) -> pl.DataFrame | None:
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        findings.append(Finding(Severity.ERROR, path.name, f"the file cannot be read: {error}"))
        return None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        findings.append(
            Finding(
                Severity.ERROR,
                path.name,
                f"no column {', '.join(missing)}",
                line=1,
                expected=", ".join(columns),
            )
        )
        return None
    return frame
