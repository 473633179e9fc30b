"""Topic names of the public surface, and the partition counts we create them with."""

from __future__ import annotations

from dataclasses import dataclass

INBOUND = "foodsafety.inbound.v1"
SUPERVISION = "foodsafety.supervision.v1"
TRACE = "foodsafety.trace.v1"
RECEIPTS = "foodsafety.receipts.v1"
REJECTED = "foodsafety.rejected.v1"
WORKFLOW_COMMANDS = "foodsafety.workflow.commands.v1"
WORKFLOW_EVENTS = "foodsafety.workflow.events.v1"
REPORTING = "foodsafety.reporting.v1"

ALL = (INBOUND, SUPERVISION, TRACE, RECEIPTS, REJECTED, WORKFLOW_COMMANDS, WORKFLOW_EVENTS,
       REPORTING)

DEAD_LETTER_MAX_BYTES = 4 * 1_048_576 + 65_536
"""The rejected topic's ``max.message.bytes``: a dead letter carries the refused message in
base64 (4/3 of its size) beside the reasons, so it outgrows the largest inbound record (1 MiB,
the broker's default and intake's ``max_message_bytes``); with the broker's default limit a
large bad record could not be dead-lettered and intake retried it forever."""
TOPIC_CONFIGS: dict[str, dict[str, str]] = {
    REJECTED: {"max.message.bytes": str(DEAD_LETTER_MAX_BYTES)},
}


@dataclass(frozen=True)
class Topics:
    """The topic names one deployment uses.

    ``prefix`` is empty in production; tests give each run its own prefix so that runs never
    share topics on one broker.
    """

    prefix: str = ""

    def name(self, base: str) -> str:
        return f"{self.prefix}{base}"

    @property
    def inbound(self) -> str:
        return self.name(INBOUND)

    @property
    def supervision(self) -> str:
        return self.name(SUPERVISION)

    @property
    def trace(self) -> str:
        return self.name(TRACE)

    @property
    def receipts(self) -> str:
        return self.name(RECEIPTS)

    @property
    def rejected(self) -> str:
        return self.name(REJECTED)

    @property
    def workflow_commands(self) -> str:
        return self.name(WORKFLOW_COMMANDS)

    @property
    def workflow_events(self) -> str:
        return self.name(WORKFLOW_EVENTS)

    @property
    def reporting(self) -> str:
        return self.name(REPORTING)

    def all(self) -> tuple[str, ...]:
        return tuple(self.name(base) for base in ALL)
