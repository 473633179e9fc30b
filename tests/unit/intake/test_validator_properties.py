"""Every registered fact type's validator, as intake runs it, on generated input (hypothesis).

For each fact type of ``contracts.registry.by_type()`` (and the EPCIS document type), data that
is arbitrary JSON, an object keyed like the fact, or a valid example with fields broken, NUL or
metacharacters put in, is wrapped in a valid CloudEvent (sometimes with an envelope attribute
broken too) and given to the decoder intake builds once per process, then to the whole intake
application. Whatever it is: no exception escapes; the answer is a fact that validates again
and has its key, or a refusal whose every reason has one of intake's codes
(``services/intake/codes.py``), a message and, for a field of ``data``, a path into it; and the
application gives exactly one receipt. ``EXAMPLES`` counts the inputs tried per validator.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import topics
from contracts.registry import FactType, by_type
from contracts.topics import Topics
from fangxin.generator import generate
from fangxin.generator.message import FACT
from services.intake.application import Intake
from services.intake.codes import Code
from services.intake.decoding import EPCIS_TYPE, Decoded, FactDecoder, Refused
from services.intake.dedupe import SQLiteSeenStore
from services.intake.epcis_bridge import epcis_facts
from services.intake.producers import Producer, ProducerRegistry
from tests.unit.contracts.test_properties import fact_like, json_values
from tests.unit.intake.helpers import LAB, at

REGISTERED = by_type()
# valid facts of each type, as the district generator makes them (trace.corrected has none)
POOL: dict[str, list[dict[str, Any]]] = {}
for _message in generate(seed=3, size=300).messages:
    if _message.kind == FACT:
        _event = json.loads(_message.value)
        POOL.setdefault(_event["type"], []).append(_event["data"])
OUTCOMES: Counter[tuple[str, str]] = Counter()  # (type, accepted|refused) -> examples
TYPES = sorted(REGISTERED)
CODES = {code.value for code in Code}
DECODER = FactDecoder(REGISTERED, max_bytes=65_536)
TRIED: Counter[str] = Counter()  # validator -> inputs tried, printed at the end of the module
ENVELOPE_BREAKS = {  # an attribute of a valid envelope -> values that break it
    "id": ["", "x" * 300, 7, None], "source": ["", None, ["urn:x"]],
    "time": ["2023-06-12T10:15:00", "yesterday", 1686536100, "2023-02-30T00:00:00+08:00"],
    "specversion": ["0.3", 1.0, None], "dataschema": ["foodsafety.x.v99", 3],
}
NASTY = st.sampled_from(["\x00", "a\x00b", "' OR 1=1 --", "%", "_", "\\", "\ud7ff", "🍜",
                         "\u202e", "\ufeff", "x" * 5000, "-0", "1e999", "NaN", "null", "{}"])


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    print(f"\nvalidator examples: {sum(TRIED.values())} in all, {dict(sorted(TRIED.items()))}")
    # the input reached both answers of each type the decoder tests tried
    lopsided = [t for t in POOL if TRIED[t] and not (OUTCOMES[t, "accepted"]
                                                     and OUTCOMES[t, "refused"])]
    assert lopsided == [], {t: (OUTCOMES[t, "accepted"], OUTCOMES[t, "refused"])
                            for t in lopsided}


@st.composite
def events(draw: st.DrawFn, fact_type: FactType) -> dict[str, Any]:
    """A CloudEvent of ``fact_type`` whose data may be anything, or nearly the fact."""
    pool = POOL.get(fact_type.type)
    if pool and draw(st.booleans()):  # a real fact, whole or with fields changed
        data = copy.deepcopy(draw(st.sampled_from(pool)))
        for key in draw(st.lists(st.sampled_from(sorted(data)), max_size=2)):
            data[key] = draw(NASTY | json_values)
    else:
        data = draw(fact_like(fact_type))
        if isinstance(data, dict) and data and draw(st.booleans()):
            data[draw(st.sampled_from(sorted(data)))] = draw(NASTY)
    event: dict[str, Any] = {"specversion": "1.0", "id": f"evt-{draw(st.integers(0, 9999))}",
                             "source": LAB, "type": fact_type.type,
                             "time": "2023-06-12T10:15:00+08:00", "data": data}
    if draw(st.integers(0, 4)) == 0:
        name = draw(st.sampled_from(sorted(ENVELOPE_BREAKS)))
        event[name] = draw(st.sampled_from(ENVELOPE_BREAKS[name]))
    return event


def check(outcome: Decoded | Refused) -> None:
    """A fact that validates again and has its key, or reasons in intake's codes."""
    if isinstance(outcome, Refused):
        assert outcome.reasons
        for reason in outcome.reasons:
            assert reason.code in CODES, reason
            assert reason.message, reason
            if reason.code == Code.INVALID_DATA:
                assert reason.path.startswith("data"), reason
        return
    fact_type = outcome.fact_type
    if fact_type is None:  # an EPCIS document: mapped by the caller
        assert outcome.event.type == EPCIS_TYPE
        return
    again = fact_type.model.model_validate(json.loads(outcome.event.model_dump_json())["data"])
    assert isinstance(fact_type.key(again), str)


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Intake:
    """The application with the real decoder and EPCIS mapper; LAB may send every type."""
    producers = ProducerRegistry(producers=[Producer(source=LAB, types=frozenset({"*"}))])
    seen = SQLiteSeenStore(tmp_path_factory.mktemp("seen") / "seen.sqlite")
    return Intake(DECODER, producers, seen, Topics(), epcis_facts)


@pytest.mark.parametrize("fact_type", TYPES)
@settings(max_examples=200, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_decoder_answers_any_event_of_the_type_with_a_fact_or_coded_reasons(
        fact_type: str, data: st.DataObject):
    raw = json.dumps(data.draw(events(REGISTERED[fact_type])), ensure_ascii=False).encode()

    outcome = DECODER.decode(raw)

    check(outcome)
    TRIED[fact_type] += 1
    OUTCOMES[fact_type, "refused" if isinstance(outcome, Refused) else "accepted"] += 1


@pytest.mark.parametrize("fact_type", TYPES)
@settings(max_examples=50, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_application_gives_one_receipt_per_event_of_the_type(
        fact_type: str, data: st.DataObject, intake: Intake):
    raws = [json.dumps(data.draw(events(REGISTERED[fact_type])), ensure_ascii=False).encode()
            for _ in range(data.draw(st.integers(1, 3)))]

    answers = intake.answer(
        [at(offset, raw) for offset, raw in enumerate(raws)])

    assert len(answers) == len(raws)
    for answer in answers:
        assert [p.topic for p in answer.publications].count(topics.RECEIPTS) == 1
        if answer.receipt.status.value == "rejected":
            assert answer.receipt.reasons
            assert {r.code for r in answer.receipt.reasons} <= CODES
            assert [p.topic for p in answer.publications] == [topics.REJECTED,
                                                               topics.RECEIPTS]
    TRIED[f"{fact_type} (application)"] += len(raws)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(document=json_values | st.dictionaries(
    st.sampled_from(["type", "@context", "schemaVersion", "creationDate", "epcisBody"]),
    json_values, max_size=5))
def test_an_epcis_document_event_is_answered_with_facts_or_epcis_codes(document: Any):
    event = {"specversion": "1.0", "id": "doc-1", "source": LAB, "type": EPCIS_TYPE,
             "time": "2023-06-12T10:15:00+08:00", "data": document}

    outcome = DECODER.decode(json.dumps(event).encode())

    check(outcome)
    if isinstance(outcome, Decoded):
        facts, reasons = epcis_facts(outcome, frozenset())
        assert {r.code for r in reasons} <= {Code.INVALID_EPCIS, Code.GDST_PROFILE}
        assert all(r.message and r.path.startswith("data") for r in reasons)
        assert not (facts and reasons)
        for fact in facts:
            check(DECODER.decode(fact.model_dump_json().encode()))
    TRIED[EPCIS_TYPE] += 1
