"""Versioned rule data (thresholds, limits) chosen by the date of the fact, never hard-coded."""

from __future__ import annotations

from enum import StrEnum


class Confidence(StrEnum):
    """How sure we are of a rule: V checked in the full text, S secondary source, R recalled."""

    VERIFIED = "V"
    SECONDARY = "S"
    RECALLED = "R"
