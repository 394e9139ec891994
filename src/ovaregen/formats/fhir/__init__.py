"""FHIR R4 out (issue 15 item 2): one Bundle of type ``collection`` with the study, its
pseudonymous subjects and every measured value as an Observation (``docs/formats-fhir.md``)."""

from ovaregen.formats.fhir.bundle import write

__all__ = ["write"]
