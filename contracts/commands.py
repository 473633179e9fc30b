"""Commands on cases from other systems, on foodsafety.workflow.commands.v1 (keyed by case id)."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

OPEN_RECALL_VERIFICATION = "open_recall_verification"


class CaseCommand(BaseModel):
    """Do something to a case: advance it, extend / pause / resume a deadline, or open an RV case.

    ``command_id`` makes a repeat harmless: the workflow acts on each id once.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: str = Field(min_length=1, max_length=200, description="unique per command")
    case_id: str = Field(min_length=4, max_length=300, description="e.g. CP-12315-2024-0001")
    command: str = Field(min_length=1, max_length=80, description="a command of the case's "
                         "state machine, extend_deadline, pause_clock, resume_clock, or "
                         "open_recall_verification")
    by_unit: str = Field(min_length=1, max_length=100, description="the acting unit's id")
    at: AwareDatetime = Field(description="when the command was decided (drives deadlines)")
    reason: str | None = Field(None, max_length=100, description="a statutory reason code "
                               "when the command needs one")
    deadline: str | None = Field(None, max_length=80, description="the deadline an extension "
                                 "or a pause applies to")
    approval_ref: str | None = Field(None, max_length=200, description="approval document of "
                                     "an extension")
    args: dict[str, Any] = Field(default_factory=dict, description="other arguments the command "
                                 "needs (e.g. lab, summary, quantity)")
