"""The allocation list's seed: kept by the person who made the list, committed to in the database.

The seed re-derives the whole list (``clinic.randomisation``); whoever holds it can predict every
arm and forge a list that looks right. So the database keeps only a commitment — SHA-256 of the
seed, which reveals nothing of it (32 random bytes cannot be guessed from their hash) yet pins
it: a seed checks out only if it hashes to the stored value. The seed is given once, when the
list is made, to the person who makes it, as a receipt to keep apart from the clinic's server
(a file in the trial master file); with it anyone can later regenerate the list and compare it
with the stored slots (``clinic.list_check``). Sites added after set-up get their strata from
the *late-strata key*, HMAC-SHA256(seed, label) — derived from the seed, so the check covers
them too, and kept in the database, so that a new site's first allocation needs no one to
bring the seed. The key cannot give back the seed or the strata made at set-up.

Source: ICH E9 §2.3.2 (the randomisation schedule is documented and reproducible); ICH
E6(R3) Appendix C (essential records: the randomisation list and how it was made); issue 11
(the seed sat in plain text beside the arms).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from datetime import datetime

SEED_BYTES = 32
LATE_STRATA_LABEL = b"ovaregen: allocation strata of sites added after set-up"
_HEX_SEED = re.compile(r"[0-9a-fA-F]{64}")
RECEIPT_PURPOSE = (
    "the seed of an ovaregen allocation list: keep it secret and apart from the clinic's "
    "server; with it the list can be regenerated and checked (ovaregen randomisation verify)"
)


class SeedError(ValueError):
    """A seed that cannot be read, or is not the list's."""


def commitment(seed: bytes) -> str:
    """SHA-256 of the seed, in hex: what the database keeps of it."""
    return hashlib.sha256(seed).hexdigest()


def late_strata_key(seed: bytes) -> bytes:
    """The key that derives the strata of sites added after set-up (from the seed)."""
    return hmac.new(seed, LATE_STRATA_LABEL, hashlib.sha256).digest()


def matches(seed: bytes, stored_commitment: str) -> bool:
    """Whether ``seed`` is the one the database committed to (constant-time comparison)."""
    return hmac.compare_digest(commitment(seed), stored_commitment.lower())


def parse_seed(text: str) -> bytes:
    """The seed in ``text``: a receipt (JSON with ``seed_hex``) or the 64 hex digits alone."""
    text = text.strip()
    if text.startswith("{"):
        try:
            found = json.loads(text)
        except json.JSONDecodeError as error:
            raise SeedError(
                f"the seed receipt is not valid JSON (line {error.lineno}): give the file "
                "ovaregen wrote when the list was made, or the 64 hex digits of the seed"
            ) from None
        text = str(found.get("seed_hex", "")) if isinstance(found, dict) else ""
    if not _HEX_SEED.fullmatch(text):
        raise SeedError(
            "the seed is not readable: expected the 64 hexadecimal digits of the seed "
            "(or the receipt written when the list was made)"
        )
    return bytes.fromhex(text)


def receipt(
    *,
    study: str,
    seed: bytes,
    created_at: datetime,
    created_by: str,
    block_sizes: str,
    factors: dict[str, list[str]],
    slots_per_stratum: int,
    strata: Sequence[str],
) -> str:
    """The seed receipt given once to whoever makes the list: JSON text to keep as a file."""
    return json.dumps(
        {
            "purpose": RECEIPT_PURPOSE,
            "study": study,
            "seed_hex": seed.hex(),
            "seed_sha256": commitment(seed),
            "created_at": created_at.isoformat(),
            "created_by": created_by,
            "block_sizes": block_sizes,
            "factors": factors,
            "slots_per_stratum": slots_per_stratum,
            "strata": list(strata),
        },
        indent=2,
    )


def receipt_name(study: str) -> str:
    """The file name a receipt is offered under: ``ucmsc-rct-randomisation-seed.json``."""
    return f"{study}-randomisation-seed.json"
