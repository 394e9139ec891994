"""REDCap both ways (issue 14 item 2): ``project`` (a protocol as a REDCap project: data
dictionary, instruments, events, mapping, repeating instruments), ``records`` (a dataset as
REDCap's flat export rows), ``writer`` (``--to redcap``), ``reader`` (``--from redcap``)."""
