"""GS1 EPCIS 2.0 documents (JSON / JSON-LD) to trace facts.

:func:`map_document` reads an ``EPCISDocument`` or ``EPCISQueryDocument`` (bytes with or without a
UTF-8 byte order mark, or parsed JSON), checks the base EPCIS 2.0 structure and the requested
profiles, keeps the master data, and maps each event to trace facts in CloudEvents. It never
raises on bad input: a refused document has reasons (code, JSON path, message) and no facts, so
nothing of it is half-applied.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import ValidationError

from contracts.envelope import CloudEvent
from contracts.facts import trace
from contracts.receipts import Reason
from services.intake.epcis import gdst
from services.intake.epcis.mapping import Fact, map_event
from services.intake.epcis.masterdata import MasterData, MasterElement, read_master_data
from services.intake.epcis.parse import event_list_path, events, load, member
from services.intake.epcis.validate import check_document

__all__ = ["PROFILES", "EpcisMapping", "MasterData", "MasterElement", "event_ref",
           "map_document"]

PROFILES: Final = frozenset({gdst.PROFILE})
MAX_ID_LENGTH: Final = 256
MAX_REF_LENGTH: Final = 512
_KEYS: Final = {fact_type.type: fact_type.key for fact_type in trace.FACT_TYPES}


@dataclass(frozen=True)
class EpcisMapping:
    """What one EPCIS document became: facts, master data, and why it was refused if it was."""

    facts: list[CloudEvent] = field(default_factory=list)
    master_data: MasterData = field(default_factory=MasterData)
    unmapped: int = 0  # events recorded as not mapped (no trace meaning), not errors
    reasons: list[Reason] = field(default_factory=list)  # non-empty: the document is refused
    events: int = 0

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def counts(self) -> dict[str, int]:
        """How many facts of each type."""
        return dict(Counter(fact.type for fact in self.facts))


def event_ref(event: dict[str, Any]) -> str:
    """The EPCIS ``eventID``, or a SHA-256 of the event without ``errorDeclaration`` and
    ``recordTime`` (so an event and its later error declaration share a ref)."""
    given = event.get("eventID")
    if isinstance(given, str) and given.strip() and len(given.strip()) <= MAX_REF_LENGTH:
        return given.strip()
    content = {k: v for k, v in event.items() if k not in ("errorDeclaration", "recordTime")}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def map_document(document: dict[str, Any] | bytes | str, *, source: str, document_id: str,
                 profiles: frozenset[str] = frozenset()) -> EpcisMapping:
    """Check and map one EPCIS 2.0 document (see the module docstring).

    ``document`` is the parsed JSON, or its bytes (UTF-8, a leading byte order mark allowed) or
    text; ``document_id`` (the id of the CloudEvent that carried it) prefixes the fact ids,
    ``source`` becomes their source, and ``profiles`` adds validation profiles (``gdst``).
    """
    try:
        return _map(document, source, document_id, profiles)
    except Exception as exc:  # the last guard: bad input never raises
        return EpcisMapping(reasons=[Reason(
            code="epcis.unprocessable", path="$",
            message=f"the document could not be processed ({type(exc).__name__})")])


def _map(document: dict[str, Any] | bytes | str, source: str, document_id: str,
         profiles: frozenset[str]) -> EpcisMapping:
    loaded, refusal = load(document)
    if loaded is None:
        return EpcisMapping(reasons=[refusal] if refusal else [])
    reasons = [Reason(code="epcis.unknown_profile", path="$",
                      message=f"no validation profile {name!r} (known: {sorted(PROFILES)})")
               for name in sorted(profiles - PROFILES)]
    reasons += check_document(loaded)
    if reasons:
        return EpcisMapping(reasons=reasons)
    if gdst.PROFILE in profiles:
        reasons += gdst.check_gdst(loaded)
    master = read_master_data(loaded)
    found = events(loaded)
    path = event_list_path(loaded)
    facts: list[CloudEvent] = []
    unmapped = 0
    seen: Counter[str] = Counter()
    for index, event in enumerate(found):
        ref = event_ref(event)
        occurrence = seen[ref]
        seen[ref] += 1
        result = map_event(event, member(path, index), ref, master)
        reasons += result.reasons
        if not result.facts and not result.reasons:
            unmapped += 1
        base = f"{document_id}:{ref}" + (f"#{occurrence}" if occurrence else "")
        for fact in result.facts:
            envelope = _envelope(fact, base, source, member(path, index))
            if isinstance(envelope, Reason):
                reasons.append(envelope)
            else:
                facts.append(envelope)
    if reasons:
        return EpcisMapping(master_data=master, reasons=reasons, events=len(found))
    return EpcisMapping(facts=facts, master_data=master, unmapped=unmapped, events=len(found))


def _envelope(fact: Fact, base: str, source: str, path: str) -> CloudEvent | Reason:
    fact_id = base + fact.suffix
    if len(fact_id) > MAX_ID_LENGTH:
        fact_id = "sha256:" + hashlib.sha256(fact_id.encode("utf-8", "surrogatepass")).hexdigest()
    key = _KEYS[fact.type](fact.model)
    try:
        return CloudEvent(specversion="1.0", id=fact_id, source=source, type=fact.type,
                          time=fact.time, subject=key if len(key) <= MAX_REF_LENGTH else None,
                          data=fact.model.model_dump(mode="json"))
    except ValidationError as exc:
        problem = exc.errors()[0]
        return Reason(code="epcis.envelope", path=path,
                      message=f"cannot wrap the fact: {'.'.join(map(str, problem['loc']))}: "
                              f"{problem['msg']}")
