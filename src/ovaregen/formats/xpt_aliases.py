"""The alias table of SAS transport v5 (``docs/formats-xpt.md``): each column's 8-character
name, since a version 5 transport file holds names of at most 8 characters (SAS technical
note TS-140, "The record layout of a SAS transport file": NAMESTR ``nname``, 8 bytes).

Rule, per table: the dictionary's variables first, in the dictionary's order (all of them,
whether the dataset holds them or not, so a variable's alias never depends on the dataset),
then the dataset's extra columns in their order. A name's alias is the name in capitals, every
character other than ``A-Z``, ``0-9`` and ``_`` made ``_``, ``_`` put before a name that does
not start with a letter or ``_``, cut to 8; when that alias is already taken in the table, its
first ``8 - len(n)`` characters and ``n`` for n = 2, 3, … until one is free. The tables' own
member names follow the same rule (``PARTICIP``, ``VISITS``, …).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ovaregen.domain.variables import DatasetFile, variables_of

ALIAS_LIMIT = 8
_NOT_IN_ALIAS = re.compile(r"[^A-Z0-9_]")


def base_alias(name: str) -> str:
    """A name's alias before any clash (module docstring)."""
    alias = _NOT_IN_ALIAS.sub("_", name.upper())
    if not (alias[:1].isalpha() or alias[:1] == "_"):
        alias = "_" + alias
    return alias[:ALIAS_LIMIT]


def aliases_of(file: DatasetFile, extras: Iterable[str] = ()) -> dict[str, str]:
    """Every dictionary variable of ``file`` and each extra column → its alias."""
    taken: set[str] = set()
    aliases: dict[str, str] = {}
    for name in [v.name for v in variables_of(file)] + list(extras):
        alias, n = base_alias(name), 1
        while alias in taken:
            n += 1
            alias = base_alias(name)[: ALIAS_LIMIT - len(str(n))] + str(n)
        taken.add(alias)
        aliases[name] = alias
    return aliases


def member_name(file: DatasetFile) -> str:
    """The table's member name in its transport file (``PARTICIP``)."""
    return base_alias(file.value)
