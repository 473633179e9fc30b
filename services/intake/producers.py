"""The producer registry (生产者登记): who may publish which fact types, under which profiles.

Loaded from a JSON file named by configuration. HTTP producers authenticate with a bearer token;
the registry holds only the token's SHA-256, so the file itself carries no secret.
"""

from __future__ import annotations

import hashlib
import hmac
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from contracts.receipts import Reason
from services.intake.codes import Code


class Producer(BaseModel):
    """One producing system and what it may send."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(description="CloudEvent source, or a glob such as urn:market:*")
    name: str = ""
    types: frozenset[str] = Field(description="fact types it may publish; '*' for all")
    profiles: frozenset[str] = Field(default_factory=frozenset,
                                     description="validation profiles, e.g. gdst")
    token_sha256: str | None = Field(None, description="hex SHA-256 of its HTTP bearer token")

    def covers(self, source: str) -> bool:
        return fnmatchcase(source, self.source)

    def may_publish(self, fact_type: str) -> bool:
        return "*" in self.types or fact_type in self.types


class ProducerRegistry(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 1
    producers: list[Producer] = Field(default_factory=list)

    @cached_property
    def covering(self) -> dict[str, Producer | None]:
        """Who covers each source seen so far (a plain dict: pydantic private attributes are
        slow to reach on the hot path)."""
        return {}

    @classmethod
    def load(cls, path: Path) -> ProducerRegistry:
        return cls.model_validate_json(path.read_bytes())

    def producer(self, source: str) -> Producer | None:
        """The first producer whose source pattern covers ``source`` (remembered per source)."""
        covering = self.covering
        try:
            return covering[source]
        except KeyError:
            if len(covering) > 10_000:
                covering.clear()
            found = covering[source] = next(
                (p for p in self.producers if p.covers(source)), None)
            return found

    def check(self, source: str, fact_type: str) -> Reason | None:
        """None when ``source`` may publish ``fact_type``; else the refusal."""
        producer = self.producer(source)
        if producer is None:
            return Reason(code=Code.UNAUTHORIZED_SOURCE, path="source",
                          message=f"source {source!r} is not in the producer registry")
        if not producer.may_publish(fact_type):
            return Reason(code=Code.UNAUTHORIZED_SOURCE, path="type",
                          message=f"source {source!r} may not publish {fact_type!r}")
        return None

    def by_token(self, token: str) -> Producer | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return next((p for p in self.producers
                     if p.token_sha256 and hmac.compare_digest(p.token_sha256, digest)), None)
