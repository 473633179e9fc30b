"""What every fact model shares: frozen, extra fields kept, times as UTC plus original offset."""

from __future__ import annotations

from pydantic import ConfigDict

from contracts.times import OffsetKeepingModel


class FactModel(OffsetKeepingModel):
    """Base of the facts and their parts.

    Producers may send more optional fields than a fact declares (ARCHITECTURE §3.3): they are
    kept as they came (``model_extra``) and travel on in the canonical form, unvalidated.
    Strings are stripped of surrounding blanks.
    """

    model_config = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)
