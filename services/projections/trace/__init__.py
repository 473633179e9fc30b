"""Trace-back read model: lots, movements, entities, certificates; up/downstream, recall scope,
mismatches, entity dossiers and the FSMA 204-style sortable spreadsheet."""

from services.projections.trace.projection import TraceProjection
from services.projections.trace.views import (
    PostgresTraceView,
    SQLiteTraceView,
    TracePage,
    TraceView,
)

__all__ = ["PostgresTraceView", "SQLiteTraceView", "TracePage", "TraceProjection", "TraceView"]
