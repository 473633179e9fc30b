"""The anti-corruption layer: public facts and commands in, domain commands out."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts.commands import OPEN_RECALL_VERIFICATION, CaseCommand
from contracts.envelope import CloudEvent
from contracts.facts import complaint, entity, inspection, kitchen, sampling, summary
from contracts.registry import by_type
from services.workflow.domain.commands import (
    AdvanceCase,
    CountKitchenAlert,
    NoAction,
    OpenCase,
    RegisterBusiness,
    WorkflowCommand,
)
from services.workflow.domain.kinds import CaseKind
from services.workflow.errors import UnusableFactError

SHANGHAI = ZoneInfo("Asia/Shanghai")
SYSTEM = "system"  # the actor of commands that facts imply


def read_fact(raw: bytes | None) -> CloudEvent:
    """A canonical fact from its Kafka value; intake validated it, so failure is unusual."""
    try:
        return CloudEvent.model_validate_json(raw or b"")
    except ValidationError as exc:
        raise UnusableFactError(f"not a CloudEvent: {exc.error_count()} errors") from exc


def message_id(fact: CloudEvent) -> str:
    """The identity of a fact across re-sends: its CloudEvent ``(source, id)``."""
    return f"{fact.source}#{fact.id}"


def commands_for(fact: CloudEvent) -> list[WorkflowCommand]:
    """What the workflow must do about a canonical fact."""
    fact_type = by_type().get(fact.type)
    mid = message_id(fact)
    if fact_type is None:
        return [NoAction(mid)]
    try:
        data = fact_type.model.model_validate(fact.data)
    except ValidationError as exc:
        raise UnusableFactError(f"{fact.type} {mid}: {exc.error_count()} invalid fields") from exc
    translate = _TRANSLATORS.get(fact.type)
    return translate(mid, data) if translate else [NoAction(mid)]


def _sampling(mid: str, fact: Any) -> list[WorkflowCommand]:
    if fact.verdict is not sampling.Verdict.UNQUALIFIED:
        return [NoAction(mid)]
    monitoring = fact.program is sampling.Program.RISK_MONITORING
    details = {"sample_id": fact.sample_id, "lot_code": fact.lot_code, "product": fact.product,
               "category": fact.category, "program": fact.program.value, "lab": fact.lab,
               "sampled_at": fact.sampled_at.isoformat()}
    return [OpenCase(mid, f"SD-{fact.sample_id}", CaseKind.SAMPLING_DISPOSAL, fact.reported_at,
                     "sampling", fact.entity_id, category=fact.category,
                     program=fact.program.value, details=details,
                     tracks={"retest": "not_applicable"} if monitoring else {},
                     skip=frozenset({"retest_window"}) if monitoring else frozenset())]


def _inspection(mid: str, fact: Any) -> list[WorkflowCommand]:
    result = fact.result.value
    details = {"inspection_id": fact.inspection_id, "result": result,
               "nonconforming_items": [i.code for i in fact.items if not i.conforming]}
    if result == "conforming":
        if fact.reinspection_of:
            return [AdvanceCase(mid, f"RC-{fact.reinspection_of}", "verify_rectification",
                                fact.inspected_at, SYSTEM)]
        return [NoAction(mid)]
    fixed = {"rectification": fact.rectify_by} if fact.rectify_by else {}
    opened: list[WorkflowCommand] = [OpenCase(
        mid, f"RC-{fact.inspection_id}", CaseKind.RECTIFICATION, fact.inspected_at,
        "inspection", fact.entity_id, details=details, fixed=fixed)]
    if result == "nonconforming":
        opened.append(OpenCase(mid, f"IV-{fact.inspection_id}", CaseKind.INVESTIGATION,
                               fact.inspected_at, "inspection", fact.entity_id, details=details))
    return opened


def _complaint(mid: str, fact: Any) -> list[WorkflowCommand]:
    respondent = fact.respondent
    details = {"complaint_id": fact.complaint_id, "channel": fact.channel.value,
               "summary": fact.summary, "lot_code": fact.lot_code,
               "respondent": respondent.entity_id or respondent.name,
               "real_name": fact.complainant.real_name}
    private = {"complainant": fact.complainant.model_dump(mode="json")}
    kinds = {"complaint": [CaseKind.COMPLAINT], "report": [CaseKind.REPORT],
             "both": [CaseKind.COMPLAINT, CaseKind.REPORT]}[fact.kind.value]
    return [OpenCase(mid, f"{kind.value}-{fact.complaint_id}", kind, fact.received_at,
                     "complaint", respondent.entity_id, channel=fact.channel.value,
                     details=details, private=private,
                     skip=frozenset() if fact.complainant.real_name or kind is
                     CaseKind.COMPLAINT else frozenset({"reporter_notice"}))
            for kind in kinds]


def _summary(mid: str, fact: Any) -> list[WorkflowCommand]:
    case_id = f"AS-{fact.year}-{fact.action}"
    return [annual_summary_case(mid, fact.year, fact.action),
            AdvanceCase(mid, case_id, "submit_summary", fact.submitted_at, fact.unit,
                        args={"document_ref": fact.document_ref})]


def annual_summaries_message(plan_id: str, year: int) -> str:
    """The message id of the command that opens a plan year's annual summary cases."""
    return f"workplan#{plan_id}:annual-summaries:{year}"


def annual_summary_case(mid: str, year: int, action: int) -> OpenCase:
    """One case per action per plan year (年度工作总结); its due date comes from the rule set."""
    return OpenCase(mid, f"AS-{year}-{action}", CaseKind.ANNUAL_SUMMARY,
                    datetime(year, 1, 1, tzinfo=SHANGHAI), "summary", None,
                    details={"year": year, "action": action}, action=action)


def _kitchen(mid: str, fact: Any) -> list[WorkflowCommand]:
    return [CountKitchenAlert(mid, fact.entity_id, fact.alert.value, fact.observed_at)]


def _entity(mid: str, fact: Any) -> list[WorkflowCommand]:
    return [RegisterBusiness(mid, fact.entity_id, fact.name, fact.kind.value,
                             fact.township, fact.risk_grade and fact.risk_grade.value,
                             fact.registered_at or datetime.now(SHANGHAI))]


_TRANSLATORS: dict[str, Any] = {
    sampling.TYPE: _sampling, inspection.TYPE: _inspection, complaint.TYPE: _complaint,
    summary.TYPE: _summary, kitchen.TYPE: _kitchen, entity.TYPE: _entity,
}


def command_from(raw: bytes | None) -> WorkflowCommand:
    """A case command from foodsafety.workflow.commands.v1."""
    try:
        cmd = CaseCommand.model_validate_json(raw or b"")
    except ValidationError as exc:
        raise UnusableFactError(f"not a case command: {exc.error_count()} errors") from exc
    mid = f"command#{cmd.command_id}"
    if cmd.command == OPEN_RECALL_VERIFICATION:
        return OpenCase(mid, cmd.case_id, CaseKind.RECALL_VERIFICATION, cmd.at, "sampling",
                        _text(cmd.args.get("entity_id")), category=_text(cmd.args.get("category")),
                        township=_text(cmd.args.get("township")), details=dict(cmd.args))
    return AdvanceCase(mid, cmd.case_id, cmd.command, cmd.at, cmd.by_unit, reason=cmd.reason,
                       args=dict(cmd.args), deadline=cmd.deadline,
                       approval_ref=cmd.approval_ref)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
