"""Commands the workflow acts on, in domain terms (translated from contracts at the edge)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class OpenSamplingDisposal:
    """An unqualified sample was reported: open its 核查处置 case."""

    message_id: str
    sample_id: str
    entity_id: str
    lot_code: str
    product: str
    program: str
    sampled_at: datetime
    reported_at: datetime

    @property
    def case_id(self) -> str:
        return f"SD-{self.sample_id}"


@dataclass(frozen=True)
class NoAction:
    """A fact that opens and changes no case (a qualified sample, say); only its position counts."""

    message_id: str


WorkflowCommand = OpenSamplingDisposal | NoAction
