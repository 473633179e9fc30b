"""What every fact model shares: frozen, extra fields kept, times as UTC plus original offset."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from contracts.times import OffsetKeepingModel, timestamp_fields_of

_FACT_CONFIG = ConfigDict(frozen=True, extra="allow", str_strip_whitespace=True)


class FactModel(OffsetKeepingModel):
    """Base of the facts.

    Producers may send more optional fields than a fact declares (ARCHITECTURE §3.3): they are
    kept as they came (``model_extra``) and travel on in the canonical form, unvalidated.
    Strings are stripped of surrounding blanks.
    """

    model_config = _FACT_CONFIG


class FactPart(BaseModel):
    """Base of the parts of a fact (a sample's items, a complaint's respondent, ...).

    The same rules as :class:`FactModel`, without its offset-keeping machinery: a part carries
    no times, so it is validated and serialized by pydantic's core alone (no Python hooks per
    item). A part that declares a time is refused when its class is defined.
    """

    model_config = _FACT_CONFIG

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if timestamp_fields_of(cls):
            raise TypeError(f"{cls.__name__} has times: derive it from FactModel")
