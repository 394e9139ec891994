"""The request bodies of the follow-up API: pregnancies and adverse events.

A POST creates a record: a field left out is unknown. A PUT **replaces** the record (RFC 9110
§9.3.4: the body is the new state of the resource): every field of the record must be in the
body — ``null`` (or an empty text) for a value that is unknown — and a body that leaves one out
is refused with 422 naming the fields it lacks. A client that sends only what it changed (as
REDCap's import or a PATCH would) therefore never clears the other fields without saying so.
``version`` is the version the client read (409 when someone changed the record since);
``reason`` is the reason for the change, required when a saved value changes.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, Field, model_validator

REPLACES = (
    "Replaces the whole {what}: every field of the record must be in the body ({fields}); "
    "give null (or an empty text) for a value that is unknown. A body that leaves a field out "
    "is refused with 422 naming the missing fields, so nothing is cleared silently. `version` "
    "is the version you read: 409 with the saved values when someone changed the record "
    "since. `reason` is required when a saved value changes (422 without)."
)
DELETES = (
    "Deletes a {what} recorded in error. `version` (the version you read) and `reason` are "
    "required: 422 without them, 409 when the record was changed since you read it."
)


class PregnancyIn(BaseModel):
    """A new pregnancy; a field left out is unknown."""

    conception: str | None = Field(default=None, description="spontaneous | ivf")
    months_after_treatment: float | str | None = None
    outcome: str | None = Field(default=None, description="ongoing | live_birth | miscarriage | …")
    infants_live_born: int | str | None = None
    infant_death_first_year: int | str | None = None
    congenital_anomaly: int | str | None = None


class EventIn(BaseModel):
    """A new adverse event; a field left out takes its default (unknown, CTCAE 5.0)."""

    term: str = Field(default="", max_length=200)
    onset_date: str | None = Field(default=None, description="YYYY-MM-DD")
    grade: int | str | None = Field(default=None, description="CTCAE grade 1–5")
    ctcae_version: str = Field(default="5.0")
    serious: bool | str | None = None
    related: str = Field(default="", description="unrelated | unlikely | possible | …")
    outcome: str = Field(default="", description="ongoing | resolved | … | fatal")


class _Replacement(BaseModel):
    """A PUT body: every field of the record present (see the module docstring)."""

    record: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]

    version: int = Field(description="the version you read (GET); 409 when it is not current")
    reason: str = Field(default="", max_length=2000, description="why the saved values change")

    @model_validator(mode="before")
    @classmethod
    def _every_field(cls, data: Any) -> Any:
        if isinstance(data, dict):
            missing = [name for name in (*cls.fields, "version") if name not in data]
            if missing:
                raise ValueError(
                    f"a PUT replaces the whole {cls.record}, and the body lacks "
                    f"{', '.join(missing)}: send every field ({', '.join(cls.fields)}), null "
                    "for a value that is unknown; nothing was saved"
                )
        return data

    def values(self) -> dict[str, Any]:
        """The record's new values (without version and reason)."""
        return self.model_dump(exclude={"version", "reason"})


class PregnancyReplacement(_Replacement):
    """A pregnancy's new values, every field given."""

    record: ClassVar[str] = "pregnancy"
    fields: ClassVar[tuple[str, ...]] = tuple(PregnancyIn.model_fields)

    conception: str | None = Field(description="spontaneous | ivf, or null")
    months_after_treatment: float | str | None
    outcome: str | None = Field(description="ongoing | live_birth | miscarriage | …, or null")
    infants_live_born: int | str | None
    infant_death_first_year: int | str | None
    congenital_anomaly: int | str | None


class EventReplacement(_Replacement):
    """An adverse event's new values, every field given."""

    record: ClassVar[str] = "adverse event"
    fields: ClassVar[tuple[str, ...]] = tuple(EventIn.model_fields)

    term: str = Field(max_length=200)
    onset_date: str | None = Field(description="YYYY-MM-DD, or null")
    grade: int | str | None = Field(description="CTCAE grade 1–5, or null")
    ctcae_version: str
    serious: bool | str | None
    related: str = Field(description="unrelated | unlikely | possible | …, or empty")
    outcome: str = Field(description="ongoing | resolved | … | fatal, or empty")
