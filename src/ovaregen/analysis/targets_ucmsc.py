"""The reproduction targets of study ucmsc (STUDIES.md), read off the plan's analysis."""

from __future__ import annotations

from ovaregen.analysis.reproduction import Target

TARGETS: tuple[Target, ...] = ()
