"""Who is calling (身份认证): units of the work plan authenticate with bearer tokens.

The credentials file holds, per caller, its unit id, its role and the SHA-256 of its token, so
the file carries no secret. Roles: ``office`` (the district food-safety office: sees and acts on
everything), ``unit`` (a department or a township: its own cases), ``auditor`` (reads all,
acts on nothing).
"""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum
from pathlib import Path

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from services.platform.http import ApiError


class Role(StrEnum):
    OFFICE = "office"
    UNIT = "unit"
    AUDITOR = "auditor"


class Caller(BaseModel):
    """An authenticated caller."""

    model_config = ConfigDict(frozen=True)

    unit: str = Field(description="unit id, e.g. market-regulation or township:北郊乡")
    role: Role
    token_sha256: str = Field(min_length=64, max_length=64, repr=False)

    @property
    def sees_everything(self) -> bool:
        return self.role in {Role.OFFICE, Role.AUDITOR}


class Credentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int = 1
    callers: list[Caller] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path | None) -> Credentials:
        return cls() if path is None else cls.model_validate_json(path.read_bytes())

    def by_token(self, token: str) -> Caller | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return next((c for c in self.callers if hmac.compare_digest(c.token_sha256, digest)),
                    None)

    def authenticate(self, request: Request) -> Caller:
        """The caller of a request, or a 401 that says how to authenticate."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        caller = self.by_token(token) if scheme.lower() == "bearer" and token else None
        if caller is None:
            raise ApiError(401, "unauthenticated", "send 'Authorization: Bearer <unit token>'")
        return caller
