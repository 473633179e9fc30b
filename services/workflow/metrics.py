"""The workflow's Prometheus metrics (labels bounded: kinds, actions, units, codes)."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from contracts.cases import CaseEvent
from services.workflow.decisions import Decision


class WorkflowMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.messages = Counter("fangxin_workflow_messages", "Facts and commands handled, by "
                                "topic and outcome", ["topic", "outcome"], registry=registry)
        self.refused = Counter("fangxin_workflow_commands_refused", "Commands refused, by code",
                               ["code"], registry=registry)
        self.opened = Counter("fangxin_workflow_cases_opened", "Cases opened",
                              ["kind", "action", "lead"], registry=registry)
        self.closed = Counter("fangxin_workflow_cases_closed", "Cases closed", ["kind"],
                              registry=registry)
        self.timers = Counter("fangxin_workflow_timers_fired", "Deadline timers fired",
                              ["kind"], registry=registry)
        self.open_cases = Gauge("fangxin_workflow_open_cases", "Cases not closed",
                                registry=registry)
        self.overdue_cases = Gauge("fangxin_workflow_overdue_cases", "Open cases with an "
                                   "overdue deadline", registry=registry)
        self.due_timers = Gauge("fangxin_workflow_due_timers", "Deadline timers whose moment "
                                "has passed and that have not fired yet", registry=registry)
        self.lead_open_cases = Gauge("fangxin_workflow_lead_open_cases", "Cases not closed, "
                                     "by lead unit of the work plan", ["lead"],
                                     registry=registry)
        self.lead_overdue_cases = Gauge("fangxin_workflow_lead_overdue_cases", "Open cases "
                                        "with an overdue deadline, by lead unit of the work "
                                        "plan", ["lead"], registry=registry)
        self.batch_seconds = Histogram(
            "fangxin_workflow_batch_seconds", "Time to decide and record one batch",
            registry=registry, buckets=(.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5,
                                        5, 10))
        self.relay_lag = Gauge("fangxin_workflow_relay_lag_events", "Stored events not yet "
                               "relayed to Kafka", registry=registry)

    def refresh(self, by_lead: dict[str, tuple[int, int]], due_timers: int) -> int:
        """Set the case gauges from the index's counts per lead unit (a bounded set: the work
        plan's units); returns 0 so a polling loop waits."""
        self.open_cases.set(sum(open_ for open_, _ in by_lead.values()))
        self.overdue_cases.set(sum(overdue for _, overdue in by_lead.values()))
        self.due_timers.set(due_timers)
        for lead, (open_, overdue) in by_lead.items():
            self.lead_open_cases.labels(lead).set(open_)
            self.lead_overdue_cases.labels(lead).set(overdue)
        return 0

    def decided(self, topic: str, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            self.messages.labels(topic, decision.outcome.value).inc()
            if decision.code:
                self.refused.labels(decision.code).inc()

    def published(self, events: Sequence[CaseEvent]) -> None:
        for event in events:
            if event.type == "case.opened":
                assignment = event.data.get("assignment", {})
                self.opened.labels(event.kind, str(assignment.get("action", "")),
                                   assignment.get("lead") or "").inc()
            elif event.type == "case.closed":
                self.closed.labels(event.kind).inc()
