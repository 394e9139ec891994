"""REDCap both ways (formats.redcap)."""
