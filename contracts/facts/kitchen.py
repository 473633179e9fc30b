"""Placeholder: the kitchen fact types are being written."""

from __future__ import annotations

from contracts.registry import FactType

FACT_TYPES: tuple[FactType, ...] = ()
