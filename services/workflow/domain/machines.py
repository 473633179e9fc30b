"""The state machines of the case kinds (案件流程): which command may move a case where.

A case runs on one or more *tracks* (a sampling disposal runs risk control and the re-test window
in parallel). Each transition names the track it moves, the states it may leave, the state it
enters, the deadlines it starts and stops, and the reason list its ``reason`` must come from.
Deadline and list names refer to the rule set in force for the case (see ``rulesets``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.workflow.domain.kinds import CaseKind


@dataclass(frozen=True)
class Transition:
    """One allowed move: ``command`` takes ``track`` from any of ``sources`` to ``target``."""

    command: str
    track: str
    sources: frozenset[str]
    target: str
    starts: tuple[str, ...] = ()  # deadlines started when the move happens
    stops: tuple[str, ...] = ()  # deadlines met by the move
    reasons: str | None = None  # rule-set list the command's reason must come from
    needs: tuple[str, ...] = ()  # other arguments the command must carry
    closes: bool = False  # the case ends here, whatever the other tracks say


@dataclass(frozen=True)
class Machine:
    """The whole process of one case kind."""

    kind: CaseKind
    rule_topic: str
    tracks: dict[str, str]  # track -> initial state
    finals: dict[str, frozenset[str]]  # track -> states in which the track is done
    opening_deadlines: tuple[str, ...]
    transitions: dict[str, Transition] = field(default_factory=dict)
    extendable: frozenset[str] = frozenset()  # deadlines an approved extension may lengthen
    pausable: frozenset[str] = frozenset()  # deadlines whose clock may stop (e.g. testing)

    def transition(self, command: str) -> Transition | None:
        return self.transitions.get(command)


def _machine(kind: CaseKind, rule_topic: str, *, tracks: dict[str, str],
             finals: dict[str, set[str]], opening: tuple[str, ...],
             transitions: list[Transition], extendable: tuple[str, ...] = (),
             pausable: tuple[str, ...] = ()) -> Machine:
    return Machine(kind, rule_topic, tracks, {t: frozenset(s) for t, s in finals.items()},
                   opening, {t.command: t for t in transitions}, frozenset(extendable),
                   frozenset(pausable))


def _t(command: str, track: str, sources: set[str], target: str, **kw: object) -> Transition:
    return Transition(command, track, frozenset(sources), target, **kw)  # type: ignore[arg-type]


SAMPLING_DISPOSAL = _machine(
    CaseKind.SAMPLING_DISPOSAL, "sampling",
    tracks={"disposal": "risk_control", "retest": "window_open"},
    finals={"disposal": {"disposed"}, "retest": {"not_applicable", "not_requested", "rejected",
                                                 "upheld", "overturned"}},
    opening=("risk_control", "retest_window", "disposal"),
    transitions=[
        _t("confirm_risk_control", "disposal", {"risk_control"}, "verifying",
           stops=("risk_control",), needs=("measures",)),
        _t("request_retest", "retest", {"window_open"}, "requested",
           stops=("retest_window",), starts=("retest_decision",)),
        _t("close_retest_window", "retest", {"window_open"}, "not_requested",
           stops=("retest_window",)),
        _t("accept_retest", "retest", {"requested"}, "accepted", stops=("retest_decision",),
           starts=("retest_lab_assignment",)),
        _t("reject_retest", "retest", {"requested"}, "rejected", stops=("retest_decision",),
           reasons="retest_refusal_reasons"),
        _t("assign_retest_lab", "retest", {"accepted"}, "testing",
           stops=("retest_lab_assignment",), starts=("retest_conclusion",), needs=("lab",)),
        _t("record_retest_upheld", "retest", {"testing"}, "upheld",
           stops=("retest_conclusion",)),
        _t("record_retest_overturned", "retest", {"testing"}, "overturned",
           stops=("retest_conclusion", "risk_control", "disposal"), closes=True),
        _t("complete_disposal", "disposal", {"verifying"}, "disposed", stops=("disposal",),
           needs=("summary",)),
    ],
    extendable=("disposal", "retest_lab_assignment"),
)

RECALL_VERIFICATION = _machine(
    CaseKind.RECALL_VERIFICATION, "recall",
    tracks={"recall": "ordered"}, finals={"recall": {"verified", "not_held"}},
    opening=("recall_start", "recall_completion"),
    transitions=[
        _t("confirm_recall_started", "recall", {"ordered"}, "recalling",
           stops=("recall_start",)),
        _t("verify_recall", "recall", {"ordered", "recalling"}, "verified",
           stops=("recall_start", "recall_completion"), needs=("quantity",)),
        _t("record_not_held", "recall", {"ordered"}, "not_held",
           stops=("recall_start", "recall_completion"), needs=("note",)),
    ],
    extendable=("recall_completion",),
)

RECTIFICATION = _machine(
    CaseKind.RECTIFICATION, "inspection",
    tracks={"rectification": "ordered"}, finals={"rectification": {"verified", "failed"}},
    opening=("rectification",),
    transitions=[
        _t("report_rectification", "rectification", {"ordered"}, "reported",
           stops=("rectification",), starts=("reinspection",)),
        _t("verify_rectification", "rectification", {"ordered", "reported"}, "verified",
           stops=("rectification", "reinspection")),
        _t("record_rectification_failed", "rectification", {"ordered", "reported"}, "failed",
           stops=("rectification", "reinspection"), needs=("note",)),
    ],
    extendable=("rectification",),
)

INVESTIGATION = _machine(
    CaseKind.INVESTIGATION, "inspection",
    tracks={"investigation": "verifying"},
    finals={"investigation": {"decided", "not_filed"}},
    opening=("investigation_filing",),
    transitions=[
        _t("file_case", "investigation", {"verifying"}, "filed",
           stops=("investigation_filing",), starts=("case_decision",)),
        _t("decline_case", "investigation", {"verifying"}, "not_filed",
           stops=("investigation_filing",), needs=("note",)),
        _t("decide_case", "investigation", {"filed"}, "decided", stops=("case_decision",),
           needs=("decision",)),
    ],
    extendable=("investigation_filing", "case_decision"),
)

COMPLAINT = _machine(
    CaseKind.COMPLAINT, "complaints",
    tracks={"complaint": "received"},
    finals={"complaint": {"refused", "agreed", "terminated", "parties_notified"}},
    opening=("acceptance",),
    transitions=[
        _t("accept_complaint", "complaint", {"received"}, "mediating", stops=("acceptance",),
           starts=("mediation",)),
        _t("refuse_complaint", "complaint", {"received"}, "refused", stops=("acceptance",),
           reasons="refusal_reasons", starts=("refusal_notice",)),
        _t("record_agreement", "complaint", {"mediating"}, "agreed", stops=("mediation",)),
        _t("terminate_mediation", "complaint", {"mediating"}, "terminated",
           stops=("mediation",), reasons="termination_reasons",
           starts=("termination_notice",)),
        _t("notify_parties", "complaint", {"refused", "terminated"}, "parties_notified",
           stops=("refusal_notice", "termination_notice")),
    ],
    pausable=("mediation",),
)

REPORT = _machine(
    CaseKind.REPORT, "reports",
    tracks={"report": "verifying"},
    finals={"report": {"filed", "not_filed", "notified"}},  # closes once no notice is due
    opening=("verification",),
    transitions=[
        _t("file_report_case", "report", {"verifying"}, "filed", stops=("verification",),
           starts=("reporter_notice",)),
        _t("decline_report_case", "report", {"verifying"}, "not_filed",
           stops=("verification",), starts=("reporter_notice",), needs=("note",)),
        _t("notify_reporter", "report", {"filed", "not_filed"}, "notified",
           stops=("reporter_notice",)),
    ],
    extendable=("verification",),
)

ANNUAL_SUMMARY = _machine(
    CaseKind.ANNUAL_SUMMARY, "annual_summary",
    tracks={"summary": "awaiting"}, finals={"summary": {"submitted"}},
    opening=("summary_due",),
    transitions=[
        _t("submit_summary", "summary", {"awaiting"}, "submitted", stops=("summary_due",),
           needs=("document_ref",)),
    ],
)

KITCHEN_ALERTS = _machine(
    CaseKind.KITCHEN_ALERTS, "kitchen",
    tracks={"alerts": "open"}, finals={"alerts": {"handled"}},
    opening=("alert_handling",),
    transitions=[
        _t("record_alerts_handled", "alerts", {"open"}, "handled",
           stops=("alert_handling",), needs=("note",)),
    ],
)

MACHINES: dict[CaseKind, Machine] = {m.kind: m for m in (
    SAMPLING_DISPOSAL, RECALL_VERIFICATION, RECTIFICATION, INVESTIGATION, COMPLAINT, REPORT,
    ANNUAL_SUMMARY, KITCHEN_ALERTS)}
