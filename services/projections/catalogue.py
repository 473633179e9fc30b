"""The read models of the projections service: their views, projections and feeding topics.

``trace``, ``assessment`` and ``cases`` are rebuildable (``fangxin projections rebuild``);
``recall`` is not a read model anyone queries but a watch with an outbox of commands, so it
stays where it is and is never replayed (replaying it would only repeat commands).
"""

from __future__ import annotations

from typing import Any, Final

from eventsourcing.persistence import InfrastructureFactory

from contracts.topics import Topics
from services.projections.assessment.projection import AssessmentProjection
from services.projections.assessment.views import PostgresAssessmentView, SQLiteAssessmentView
from services.projections.case_projection import CaseProjection
from services.projections.case_views import PostgresCaseView, SQLiteCaseView
from services.projections.consumer import ReadModel
from services.projections.trace.projection import TraceProjection
from services.projections.trace.views import PostgresTraceView, SQLiteTraceView

REBUILDABLE: Final = ("trace", "assessment", "cases")
_VIEWS: Final[dict[str, tuple[type, type]]] = {  # read model -> (SQLite view, PostgreSQL view)
    "trace": (SQLiteTraceView, PostgresTraceView),
    "assessment": (SQLiteAssessmentView, PostgresAssessmentView),
    "cases": (SQLiteCaseView, PostgresCaseView),
}


class _Assessment(AssessmentProjection):
    name = "assessment"


class _Trace(TraceProjection):
    name = "trace"


def routes(topics: Topics) -> dict[str, tuple[str, ...]]:
    """Topic -> the read models it feeds, in order (recall reads the trace view)."""
    return {
        topics.supervision: ("assessment", "trace"),
        topics.trace: ("trace", "recall"),
        topics.workflow_events: ("cases", "assessment", "trace", "recall"),
    }


def topics_of(topics: Topics, names: set[str]) -> list[str]:
    """The topics a rebuild of ``names`` replays."""
    return [topic for topic, fed in routes(topics).items() if names & set(fed)]


def open_view(name: str, env: dict[str, str]) -> Any:
    """The view of a rebuildable read model in the store ``env`` points at (tables created)."""
    sqlite, postgres = _VIEWS[name]
    cls = sqlite if env["PERSISTENCE_MODULE"].endswith("sqlite") else postgres
    return InfrastructureFactory.construct(env).tracking_recorder(cls)


def projection(name: str, view: Any) -> ReadModel:
    """The projection that writes a rebuildable read model's view."""
    made: ReadModel
    if name == "trace":
        made = _Trace(view)
    elif name == "assessment":
        made = _Assessment(view)
    else:
        made = CaseProjection(view)
    return made
