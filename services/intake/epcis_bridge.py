"""Adapts the EPCIS mapper to the intake application's port, in intake's rejection codes."""

from __future__ import annotations

from contracts.envelope import CloudEvent
from contracts.receipts import Reason
from services.intake.codes import Code
from services.intake.decoding import Decoded
from services.intake.epcis import map_document


def epcis_facts(decoded: Decoded, profiles: frozenset[str]) -> tuple[list[CloudEvent],
                                                                     list[Reason]]:
    """The trace facts of an EPCIS document, or the reasons it is refused.

    The mapper's fine-grained codes (``epcis.quantity_missing``, ``gdst.imoNumber``...) stay in
    the message; the code is one of intake's two EPCIS codes.
    """
    event = decoded.event
    document = decoded.data if isinstance(decoded.data, dict) else {}
    mapping = map_document(document, source=event.source, document_id=event.id,
                           profiles=profiles)
    return list(mapping.facts), [_reason(r) for r in mapping.reasons]


def _reason(reason: Reason) -> Reason:
    code = Code.GDST_PROFILE if reason.code.startswith("gdst.") else Code.INVALID_EPCIS
    path = reason.path.lstrip("$").lstrip(".")
    return Reason(code=code, path=f"data.{path}" if path else "data",
                  message=f"{reason.code}: {reason.message}")
