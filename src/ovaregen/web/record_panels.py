"""What the participant's and the visit's pages show of source-data verification and
signatures (``_verification_panel.j2``, ``_signature_panel.j2``, ``_form_record_state.j2``):
one function per page, whose result the route passes to its template."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ovaregen.clinic import signatures, verification
from ovaregen.store.models import Participant


def participant_panels(session: Session, participant: Participant) -> dict[str, Any]:
    """Every form's SDV state, the latest signature of each scope, and what a casebook
    signature would cover now (its ``seen`` token)."""
    casebook = signatures.covered(session, participant, signatures.CASEBOOK)
    return {
        "verifications": verification.states_of(session, participant),
        "signature_states": signatures.latest_states(session, participant),
        "casebook_seen": signatures.seen_of(signatures.CASEBOOK, casebook) if casebook else "",
        "signature_meanings": signatures.MEANINGS,
        "casebook_scope": signatures.CASEBOOK,
    }


def form_panels(session: Session, participant: Participant, key: str) -> dict[str, Any]:
    """One form's SDV state and latest signature (None when it has no data here)."""
    state = verification.state_of(session, participant, key)
    signed = next(
        (s for s in signatures.latest_states(session, participant) if s.signature.scope == key),
        None,
    )
    return {
        "form_verification": state,
        "form_signature": signed,
        "form_seen": signatures.seen_of(key, {key: state.form}) if state else "",
        "signature_meanings": signatures.MEANINGS,
    }
