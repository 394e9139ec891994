"""The research world's formats for a study dataset (issue 14): each a reader and/or writer of
:class:`~ovaregen.io.dataset.Dataset`, listed in ``formats.registry``. Readers turn their files
into the same text tables the CSV reader makes and validate them as ``ovaregen validate`` does
(``io.reader.validate_tables``); writers write atomically. Nothing here knows the clinic: what
only the clinic holds (audit trail, signatures) comes in as ``formats.clinic_records``."""
