"""Page models built from the APIs' JSON: plain data the templates only print."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from services.console.i18n import term
from services.console.reference import CommandForm, Reference, SkippedDay
from services.workflow.domain.calendar import SHANGHAI

VIEWS = ("overdue", "due_soon", "escalated", "open", "closed")


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def local(value: str | datetime | None, *, seconds: bool = False) -> str:
    """A moment as China local time, ``YYYY-MM-DD HH:MM``."""
    moment = parse_time(value) if isinstance(value, str) else value
    if moment is None:
        return ""
    if moment.tzinfo is None:
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S" if seconds
                                                 else "%Y-%m-%d %H:%M")


def local_day(value: str | None) -> str:
    return local(value)[:10]


@dataclass(frozen=True)
class CaseRow:
    case_id: str
    kind: str
    kind_label: str
    action: int | None
    action_title: str
    lead: str
    township: str
    state: str
    opened: str
    due: str
    left: str
    urgency: str  # overdue, soon, ok, none
    escalated: bool
    provisional: bool


def state_label(lang: str, state: str | None) -> str:
    if not state:
        return ""
    return " / ".join(term(lang, "state", part) for part in state.split("+"))


def case_rows(rows: Sequence[Mapping[str, Any]], ref: Reference, lang: str,
              t: Callable[..., str], *, now: datetime, soon_days: int) -> list[CaseRow]:
    found = []
    for row in rows:
        due = parse_time(row.get("next_due"))
        urgency, left = "none", t("cases.left.none")
        if due is not None and not row.get("closed"):
            days = ref.working_days_left(due, now)
            if row.get("overdue") or due < now:
                urgency = "overdue"
                left = t("cases.left.overdue", n=max(-days, 0))
            elif days == 0:
                urgency, left = "soon", t("cases.left.today")
            else:
                urgency = "soon" if days <= soon_days else "ok"
                left = t("cases.left.days", n=days)
        township = row.get("township_unit") or ""
        found.append(CaseRow(
            case_id=row["case_id"], kind=row["kind"], kind_label=term(lang, "kind", row["kind"]),
            action=row.get("action"), action_title=ref.action_title(row.get("action"), lang),
            lead=ref.unit_name(row.get("lead")), township=ref.unit_name(township),
            state=state_label(lang, row.get("state")), opened=local_day(row.get("opened_at")),
            due=local(row.get("next_due")), left=left, urgency=urgency,
            escalated=bool(row.get("overdue")) and not row.get("closed"),
            provisional=bool(row.get("provisional"))))
    return found


@dataclass(frozen=True)
class DeadlineView:
    name: str
    label: str
    budget: str
    started: str
    due: str
    status: str
    status_class: str
    escalated_to: str
    met: str
    provisional: bool
    extensions: int
    skipped: list[SkippedDay]
    skipped_count: int
    counts_working_days: bool


def _budget(t: Callable[..., str], budget: Mapping[str, Any] | None) -> str:
    if not budget:
        return ""
    unit = str(budget.get("unit", ""))
    return t(f"budget.{unit}", n=budget.get("amount")) if unit else str(budget.get("amount"))


def deadline_views(deadlines: Mapping[str, Mapping[str, Any]], ref: Reference, lang: str,
                   t: Callable[..., str]) -> list[DeadlineView]:
    found = []
    for name, d in sorted(deadlines.items(), key=lambda kv: kv[1].get("started_at") or ""):
        start, due = parse_time(d.get("started_at")), parse_time(d.get("due_at"))
        budget = d.get("budget") or {}
        skipped: list[SkippedDay] = []
        count = 0
        if start and due and budget.get("unit") == "working_days":  # only these skip days
            skipped, count = ref.skipped_days(start, due)
        status = str(d.get("status") or "")
        if d.get("paused_since"):
            status = "paused"
        elif status == "running" and d.get("overdue"):
            status = "overdue"
        found.append(DeadlineView(
            name=name, label=term(lang, "dl", name), budget=_budget(t, budget),
            started=local(d.get("started_at")), due=local(d.get("due_at")),
            status=t(f"deadline.status.{status}") if status else "",
            status_class=status, escalated_to=ref.unit_name(d.get("escalated_to")),
            met=local(d.get("met_at")), provisional=bool(d.get("provisional")),
            extensions=int(d.get("extensions") or 0), skipped=skipped, skipped_count=count,
            counts_working_days=budget.get("unit") == "working_days"))
    return found


@dataclass(frozen=True)
class HistoryEntry:
    version: int
    at: str
    what: str
    command: str
    change: str
    reason: str
    by: str
    deadline: str
    recorded: str
    kind: str


def history_entries(case: Mapping[str, Any], ref: Reference, lang: str,
                    t: Callable[..., str]) -> list[HistoryEntry]:
    labels = _reason_labels(case, ref)
    entries = []
    for e in case.get("history", []):
        change = ""
        if e.get("from") or e.get("to"):
            change = f"{state_label(lang, e.get('from'))} → {state_label(lang, e.get('to'))}"
        reason = e.get("reason") or ""
        entries.append(HistoryEntry(
            version=int(e.get("version") or 0), at=local(e.get("at")),
            what=t(f"event.{e.get('type')}"),
            command=term(lang, "cmd", e["command"]) if e.get("command") else "",
            change=change, reason=labels.get(reason, reason) if reason else "",
            by=ref.unit_name(e.get("by")) if e.get("by") else t("timeline.system"),
            deadline=term(lang, "dl", e["deadline"]) if e.get("deadline") else "",
            recorded=local(e.get("recorded_at"), seconds=True), kind=str(e.get("type"))))
    return entries


def _reason_labels(case: Mapping[str, Any], ref: Reference) -> dict[str, str]:
    machine = ref.machine(str(case.get("kind")))
    if machine is None:
        return {}
    labels = {}
    for move in machine.transitions.values():
        for reason in ref.reasons(case.get("rule_set"), move.reasons):
            labels[reason.code] = f"{reason.label}（{reason.code}）"
    return labels


@dataclass(frozen=True)
class ActForm:
    commands: list[CommandForm]
    extendable: list[str] = field(default_factory=list)
    pausable: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # name, kinds
    resumable: list[str] = field(default_factory=list)


def act_form(case: Mapping[str, Any], ref: Reference) -> ActForm:
    kind, rule_set = str(case.get("kind")), case.get("rule_set")
    commands = [ref.command_form(kind, c, rule_set) for c in case.get("available_commands", [])]
    machine = ref.machine(kind)
    running = [name for name, d in (case.get("deadlines") or {}).items()
               if d.get("status") == "running"]
    if case.get("closed_at") or machine is None:
        return ActForm(commands)
    deadlines = case.get("deadlines") or {}
    extendable = sorted(n for n in running if n in machine.extendable)
    clocks = [n for n in running if n in machine.pausable]
    pausable = [(n, ref.pause_kinds(deadlines[n].get("rule_set") or rule_set, n))
                for n in clocks if not deadlines[n].get("paused_since")]
    resumable = [n for n in clocks if deadlines[n].get("paused_since")]
    return ActForm(commands, extendable, [(n, k) for n, k in pausable if k], resumable)


@dataclass(frozen=True)
class ScopeGroup:
    township: str
    rows: list[Mapping[str, Any]]


def scope_by_township(scope: Sequence[Mapping[str, Any]]) -> list[ScopeGroup]:
    ordered = sorted(scope, key=lambda r: (str(r.get("township") or "~"), str(r.get("name"))))
    return [ScopeGroup(township, list(rows)) for township, rows in
            groupby(ordered, key=lambda r: str(r.get("township") or ""))]


def quantities(values: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{v} {k}" for k, v in (values or {}).items()) or "0"
