"""What the services' refusals look like, for their OpenAPI documents.

A route refuses with an :class:`~services.platform.http.ApiError`: ``{"code", "message"}``, and
a request that does not match its schema adds ``errors``. Two answers come from the framework
before any route runs and carry ``{"detail"}`` instead: a body that is not JSON (400) and a path
no route matches (404). :func:`errors` gives the ``responses=`` of a router or a route, so that
each document declares every status a route can answer (``tests/fuzz/`` holds them to it).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One part of a request that does not match its schema."""

    path: str = Field(description="where, e.g. query.limit or body.command")
    message: str


class ErrorBody(BaseModel):
    """A refusal: a stable code and what to fix."""

    code: str = Field(description="stable, e.g. unauthenticated, case_not_found, "
                      "invalid_request")
    message: str = Field(description="what a person should fix")
    errors: list[FieldError] | None = Field(None, description="invalid_request: each part of "
                                            "the request that does not match its schema")


class FrameworkError(BaseModel):
    """An answer of the HTTP framework itself, before any route runs."""

    detail: str


WHY: dict[int, str] = {
    400: "the body is not JSON (or not the JSON this route takes)",
    401: "no valid bearer token (unauthenticated)",
    403: "the caller's role may not do this (not_authorized)",
    404: "nothing by that id or path",
    409: "the request conflicts with the current state",
    413: "the body is over the limit (body_too_large)",
    422: "the request does not match its schema (invalid_request) or a value is refused",
    429: "too many requests from this caller (rate_limited); Retry-After says when to retry",
}
LIMITS = (413, 429)  # what services/platform/limits.py answers in front of the units' APIs
FRAMEWORK = frozenset({400, 404})  # statuses the framework answers too, with ``detail``


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` documenting the refusals ``statuses`` with their bodies."""
    documented: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody | FrameworkError if status in FRAMEWORK else ErrorBody,
                 "description": WHY[status]} for status in statuses}
    if 429 in documented:
        documented[429]["headers"] = {"Retry-After": {
            "description": "whole seconds until the caller may send again",
            "schema": {"type": "integer"}}}
    return documented
