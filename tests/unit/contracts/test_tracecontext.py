"""W3C trace context: a fact's trace id is its identity; headers parse as the spec says."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import tracecontext


@given(st.text(min_size=1), st.text(min_size=1))
def test_a_header_round_trips_to_the_facts_trace(message_id: str, step: str):
    key, value = tracecontext.header(message_id, step)

    parsed = tracecontext.parse(value)

    assert key == "traceparent"
    assert parsed is not None
    assert parsed[0] == tracecontext.trace_id(message_id)
    assert tracecontext.trace_of([("other", b"x"), (key, value)]) == parsed[0]


def test_the_trace_id_is_the_same_for_every_copy_and_differs_between_facts():
    assert tracecontext.trace_id("lab#1") == tracecontext.trace_id("lab#1")
    assert tracecontext.trace_id("lab#1") != tracecontext.trace_id("lab#2")
    assert len(tracecontext.trace_id("lab#1")) == 32


@pytest.mark.parametrize("value", [
    None, "", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  # unknown version
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",  # all-zero trace id
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  # all-zero parent id
    "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  # upper case
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",  # no flags
])
def test_an_invalid_traceparent_is_ignored(value: str | None):
    assert tracecontext.parse(value) is None


def test_the_spec_example_parses():
    assert tracecontext.parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") == (
        "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331")
