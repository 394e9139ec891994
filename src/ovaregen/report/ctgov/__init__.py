"""A study's ClinicalTrials.gov record in the API v2 JSON structure (issue 15 item 3).

``protocol_section`` fills ``protocolSection`` from the protocol; ``results_section`` fills
``resultsSection`` from the analysis ``ovaregen analyze`` computes; ``document`` joins them.
Field names and types follow ClinicalTrials.gov's OpenAPI document 2.0.5 (``Study`` schema,
vendored in ``tests/ctgov/``); values the API carries as strings are strings.
"""
