"""The one error of the formats: a format not known, or a dataset a format cannot hold."""

from __future__ import annotations


class FormatError(ValueError):
    """A format that is not known, or a dataset that cannot be written in it (a name too long
    for SAS transport, a value a format cannot store): the message says which file, column
    and value, and what the format allows. ``ovaregen convert`` and ``ovaregen export`` print
    it and write nothing (exit 1)."""
