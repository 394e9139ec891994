"""Visit windows: the day a scheduled visit is due, and how early or late it may be done.

Rules (ICH E6(R3) §3.2 "protocol compliance"; the windowed schedule of assessments of SPIRIT
2013 item 13; REDCap/OpenClinica "visit window" practice):
- a window is counted in days from day 0, the treatment date (``treatment_date``: the first
  injection, or in the trial the start of the randomised treatment in every arm);
- ``day`` is the target day, ``before``/``after`` how many days earlier/later the visit may be
  done; the window is [day − before, day + after], first and last day included;
- a window has no negative size (it would not contain its target day), and only a follow-up
  visit, whose form records the ``visit_date``, has one: a visit without a date cannot be
  judged in or out of its window;
- the published papers state no windows: each shipped protocol file marks its windows as a
  protocol setting (``window_source``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

ANCHOR = "treatment_date"
"""Day 0 of every window: the treatment date of the study's schedule."""
WINDOW_KEYS = frozenset({"day", "before", "after"})


@dataclass(frozen=True)
class Window:
    """Target day and tolerance in days, relative to the treatment date."""

    day: int
    before: int
    after: int

    @property
    def first_day(self) -> int:
        return self.day - self.before

    @property
    def last_day(self) -> int:
        return self.day + self.after

    def target(self, treated: date) -> date:
        """The target date for a woman treated on ``treated``."""
        return treated + timedelta(days=self.day)

    def opens(self, treated: date) -> date:
        """The first date of the window for a woman treated on ``treated``."""
        return treated + timedelta(days=self.first_day)

    def closes(self, treated: date) -> date:
        """The last date of the window (included)."""
        return treated + timedelta(days=self.last_day)

    def contains(self, treated: date, seen: date) -> bool:
        return self.opens(treated) <= seen <= self.closes(treated)

    def describe(self) -> str:
        return f"day {self.day} (days {self.first_day} to {self.last_day})"


class Timing(StrEnum):
    """Where a visit stands against its window on a given day."""

    NOT_YET = "not_yet"
    """Not done, the window opens later than the look-ahead."""
    UPCOMING = "upcoming"
    """Not done, the window opens within the look-ahead."""
    DUE = "due"
    """Not done, the window is open."""
    OVERDUE = "overdue"
    """Not done, the window has closed."""
    IN_WINDOW = "in_window"
    """Done within its window."""
    OUT_OF_WINDOW = "out_of_window"
    """Done before the window opened or after it closed: a protocol deviation."""


def timing(
    window: Window, treated: date, seen: date | None, today: date, look_ahead: int
) -> Timing:
    """Where a visit stands: done (``seen`` is its date) in or out of the window, else due,
    overdue, upcoming (the window opens within ``look_ahead`` days) or not yet."""
    if seen is not None:
        return Timing.IN_WINDOW if window.contains(treated, seen) else Timing.OUT_OF_WINDOW
    if today > window.closes(treated):
        return Timing.OVERDUE
    if today >= window.opens(treated):
        return Timing.DUE
    if (window.opens(treated) - today).days <= look_ahead:
        return Timing.UPCOMING
    return Timing.NOT_YET


def _whole_days(entry: Mapping[str, Any], key: str) -> int:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"window {key} must be a whole number of days, got {value!r}")
    return value


def window_from_mapping(entry: Any) -> Window:
    """A window as written in a protocol file (``{day: 91, before: 14, after: 14}``);
    ``ValueError`` naming the key and the value otherwise."""
    if not isinstance(entry, Mapping):
        raise ValueError(f"window must be a mapping of day, before and after, got {entry!r}")
    unknown = set(entry) - WINDOW_KEYS
    if unknown:
        raise ValueError(
            f"window has unknown keys {', '.join(sorted(map(str, unknown)))}; "
            "expected day, before, after"
        )
    missing = WINDOW_KEYS - set(entry)
    if missing:
        raise ValueError(f"window needs {', '.join(sorted(missing))} (days)")
    window = Window(
        _whole_days(entry, "day"), _whole_days(entry, "before"), _whole_days(entry, "after")
    )
    for key in ("before", "after"):
        size = getattr(window, key)
        if size < 0:
            raise ValueError(
                f"window {key} is {size} days: a negative size would leave the target day "
                f"{window.day} outside its window (expected 0 or more)"
            )
    if window.first_day < 0:
        raise ValueError(
            f"window opens on day {window.first_day}, before the treatment (day 0): expected "
            f"before ≤ day ({window.before} > {window.day})"
        )
    return window
