"""Adapts the EPCIS mapper to the intake application's port."""

from __future__ import annotations

from contracts.envelope import CloudEvent
from contracts.receipts import Reason
from services.intake.decoding import Decoded


def epcis_facts(decoded: Decoded, profiles: frozenset[str]) -> tuple[list[CloudEvent],
                                                                     list[Reason]]:
    """The trace facts of an EPCIS document, or the reasons it is refused."""
    from services.intake.epcis import map_document  # noqa: PLC0415  (being written)

    event = decoded.event
    document = decoded.data if isinstance(decoded.data, dict) else {}
    mapping = map_document(document, source=event.source, document_id=event.id,
                           profiles=profiles)
    return list(mapping.facts), list(mapping.reasons)
