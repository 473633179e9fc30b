"""Schemathesis against each API service's OpenAPI document, on the running services.

Given intake, the workflow and the projections as processes over Kafka and PostgreSQL with a
small district's data in them (``fuzz_stack``), when schemathesis generates requests for every
operation of each service's ``/openapi.json`` (valid ones and, separately, ones that break the
schema), sent with the district office's token (intake: a producer's), then no answer is a
5xx, every status and content type is one the document declares for the operation, every JSON
body matches the declared schema of its status, and (negative mode) a request the schema
forbids is refused with a 4xx. A failure names the operation, the check and a curl command.

The console has no OpenAPI document (``openapi_url=None``: it serves pages, not JSON), so it is
not fuzzed here.
"""

from __future__ import annotations

import json
import re

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz.conftest import API_SERVICES, FuzzStack

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
EXAMPLES = {GenerationMode.POSITIVE: 25, GenerationMode.NEGATIVE: 15}  # per operation
KNOWN_EXAMPLES = 25  # and valid requests about a known case, lot or business
CONFORMANCE = [not_a_server_error, status_code_conformance, content_type_conformance,
               response_headers_conformance, response_schema_conformance]
CHECKS = {GenerationMode.POSITIVE: CONFORMANCE,
          GenerationMode.NEGATIVE: [*CONFORMANCE, negative_data_rejection]}


def fuzz_operation(operation: schemathesis.APIOperation, mode: GenerationMode, base_url: str,
                   session: requests.Session, path_parameters: dict[str, str] | None = None
                   ) -> tuple[int, dict[str, str]]:
    """Requests sent and the failures found (check title -> first report), for one operation;
    with ``path_parameters``, on what they name (past the 404 of an unknown id)."""
    sent = [0]
    failures: dict[str, str] = {}

    @settings(max_examples=EXAMPLES[mode] if path_parameters is None else KNOWN_EXAMPLES,
              deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=base_url, session=session, timeout=30)
        sent[0] += 1
        try:
            case.validate_response(response, checks=CHECKS[mode])
        except FailureGroup as group:
            for failure in group.exceptions:
                failures.setdefault(failure.title, str(group)[:3000])
        except Failure as failure:
            failures.setdefault(failure.title, str(failure)[:3000])

    try:
        run()
    except Unsatisfiable:  # nothing to break: an operation without parameters or body
        assert mode is GenerationMode.NEGATIVE, operation.label
    return sent[0], failures


@pytest.mark.parametrize("service", API_SERVICES)
def test_no_request_the_document_allows_or_forbids_gets_a_5xx_or_an_undocumented_answer(
        fuzz_stack: FuzzStack, service: str):
    base_url = fuzz_stack.url(service)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fuzz_stack.token_for(service)}"
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 3, [op.label for op in operations]  # the service's own API
    found: dict[str, dict[str, str]] = {}
    per_operation: dict[str, int] = {}
    known = fuzz_stack.known()
    for operation in operations:
        names = set(re.findall(r"\{(\w+)\}", operation.path))
        passes = [(mode, None) for mode in EXAMPLES]
        if names and names <= set(known):
            passes.append((GenerationMode.POSITIVE, {n: known[n] for n in names}))
        for mode, path_parameters in passes:
            sent, failures = fuzz_operation(operation, mode, base_url, session, path_parameters)
            per_operation[operation.label] = per_operation.get(operation.label, 0) + sent
            fuzz_stack.count(f"schemathesis {service}", sent)
            where = "known ids" if path_parameters else mode.value
            if failures:
                found[f"{operation.label} ({where})"] = failures
    print(f"\nschemathesis {service}: {sum(per_operation.values())} requests over "
          f"{len(operations)} operations: {per_operation}")
    assert all(per_operation.values()), per_operation  # every operation was exercised
    assert found == {}, "\n\n".join(f"== {where}: {title}\n{report}"
                                    for where, failures in found.items()
                                    for title, report in failures.items())


BAD_YEARS = ["abc", 10000, [1], -5, 1e30, None, True, 0, 9999]  # each was a 500 once


@pytest.mark.parametrize("year", BAD_YEARS, ids=repr)
def test_a_year_file_with_an_unusable_year_is_refused_not_a_server_error(
        fuzz_stack: FuzzStack, year: object):
    answer = requests.post(f"{fuzz_stack.url('workflow')}/calendar/years", timeout=30,
                           headers={"Authorization": f"Bearer {fuzz_stack.office_token}"},
                           json={"format_version": 1, "year": year, "source": "https://x",
                                 "holidays": [], "adjusted_workdays": []})
    fuzz_stack.count("schemathesis workflow")

    assert (answer.status_code, answer.json()["code"]) == (422, "invalid_year_file")


def test_every_command_on_a_known_case_is_answered_without_a_server_error(
        fuzz_stack: FuzzStack):
    """The commands a case's state allows and the deadline commands, at odd times and with
    odd arguments (a time without an offset and an extension no rule grants were 500s)."""
    url = f"{fuzz_stack.url('workflow')}/cases/{fuzz_stack.known()['case_id']}"
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fuzz_stack.office_token}"
    case = session.get(url, timeout=30).json()
    commands = [*case["available_commands"], "extend_deadline", "pause_clock", "resume_clock"]
    extras: list[dict[str, object]] = [{}]
    extras += [{"deadline": name, "approval_ref": "龙市监〔2023〕1号", "reason": "'%_"}
               for name in case["deadlines"]]
    extras.append({"deadline": "x\x00", "args": {"lab": ["x"], "measures": {"a": None}}})
    times = ["2023-01-01T00:00:00", "2023-06-12T10:00:00+08:00", "0001-01-01T00:00:00Z",
             "9999-12-31T23:59:59-14:00", None]
    answers = {}
    for command in commands:
        for at in times:
            for extra in extras:
                body = {"command": command, "at": at, **extra}
                answer = session.post(f"{url}/commands", json=body, timeout=30)
                answers[json.dumps(body, ensure_ascii=False)] = answer.status_code
    fuzz_stack.count("commands on a known case", len(answers))

    assert {body: status for body, status in answers.items() if status >= 500} == {}
    assert set(answers.values()) <= {200, 404, 409, 422}, set(answers.values())
    assert 200 in answers.values()  # some command was applied: the requests reached the case
