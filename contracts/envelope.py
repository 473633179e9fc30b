"""The CloudEvents 1.0 envelope (structured JSON mode) that every inbound fact travels in."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class CloudEvent(BaseModel):
    """A fact as a producer sends it. ``(source, id)`` identifies it: a repeat is a duplicate."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = Field(description="CloudEvents version; only 1.0 is accepted")
    id: str = Field(min_length=1, max_length=256, description="unique per source")
    source: str = Field(min_length=1, max_length=512, description="the producing system (URI)")
    type: str = Field(min_length=1, max_length=256, description="fact type, e.g. "
                      "foodsafety.sampling.reported")
    time: AwareDatetime = Field(description="when the fact happened (RFC 3339 with an offset)")
    subject: str | None = Field(default=None, max_length=512)
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    data: dict[str, Any] = Field(description="the fact itself; its shape depends on type")

    @property
    def key(self) -> tuple[str, str]:
        """The identity used to recognise duplicates."""
        return (self.source, self.id)
