"""Injection through every query (and path) parameter of the units' read APIs.

Given the workflow and the projections running over PostgreSQL with a small district's data
(``fuzz_stack``), when each parameter of each GET operation of their OpenAPI documents (read off
the documents, so a new parameter is covered without editing this file) is sent SQL
metacharacters, LIKE wildcards, NUL, very long strings, unicode and JSON fragments (a fixed set,
then strings hypothesis generates after a metacharacter), the other parameters valid, then:

- no answer is a 5xx;
- the answer is a 422 with a code and a message, or exactly the answer to a plain value that
  matches nothing (so no row that the plain value does not find leaks out; a path parameter may
  also answer the 404 of a missing resource);
- the controls: a plain matching value does find rows (a leak would show), and afterwards every
  table of every service's database is still there with at least the rows it had.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import sql

from tests.fuzz.conftest import FuzzStack

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
SERVICES = ("workflow", "projections")
PLAIN = "zz-no-such-value-7"


def _cursor(*key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


NASTY = [
    "' OR 1=1 --", "' OR '1'='1", '" OR ""="', "1' OR '1'='1' /*", "%", "%%", "_", "__", "\\",
    "\\%", "!", "!%", "!_", "%,%", ",", "';DROP TABLE wf_cases;--", ";DROP TABLE case_summary",
    "1; SELECT pg_sleep(3)", "' UNION SELECT * FROM pg_user --", "\x00", "a\x00b", "%00",
    "x" * 4000, "%" * 2000, "北郊乡", "🍜\u202e\ufeff", "ＳＤ", "\r\n", " ", '{"$ne": null}',
    '{"kind": "SD"}', "[1, 2]", "null", "true' --", "-1", "1e999", "NaN", "2023-06-01T09:30:00",
    "../../etc/passwd", "${jndi:ldap://x}", "<script>alert(1)</script>", "*", "?", "#",
    _cursor(0, "' OR 1=1 --", "%", "_", 0), _cursor(0, "\x00", "", "", 0),
    _cursor(10**30, "", "", "", -(10**30)), _cursor("x", 1, 2, 3, "y"),
]
# what every row of a list must satisfy for a filter's value, read literally: a value that is
# also a real substring (``_`` of ``risk_control``) may find rows, but only rows it names
LITERAL: dict[tuple[str, str, str], Callable[[dict[str, Any], str], bool]] = {
    ("workflow", "/cases", "unit"): lambda row, value: value in row["owners"],
    ("workflow", "/cases", "township"): lambda row, value: row["township_unit"] == value,
    ("workflow", "/cases", "kind"): lambda row, value: row["kind"] == value,
    ("workflow", "/cases", "state"): lambda row, value: value in row["state"],
    ("projections", "/cases", "kind"): lambda row, value: row["kind"] == value,
}
GENERATED = st.builds(lambda head, tail: head + tail,
                      st.sampled_from(["'", '"', "%", "_", "\\", ";", "\x00", "{", "[", "!"]),
                      st.text(max_size=60))


@dataclass(frozen=True)
class Parameter:
    service: str
    path: str  # the template, e.g. /lots/{lot}/upstream
    name: str
    where: str  # query or path

    @property
    def label(self) -> str:
        return f"{self.service} GET {self.path} {self.where}:{self.name}"


@dataclass
class Answer:
    status: int
    body: Any

    @classmethod
    def of(cls, response: httpx.Response) -> Answer:
        try:
            body = response.json()
        except ValueError:
            body = response.text
        return cls(response.status_code, body)


class Prober:
    """Sends one parameter's value with the others valid; counts what it sends."""

    def __init__(self, stack: FuzzStack, valid: dict[str, str]) -> None:
        self.stack = stack
        self.valid = valid  # parameter name -> a value that finds something
        self.clients = {s: httpx.Client(base_url=stack.url(s), timeout=60, headers={
            "Authorization": f"Bearer {stack.office_token}"}) for s in SERVICES}
        self.required: dict[tuple[str, str], list[str]] = {}
        self.plain: dict[Parameter, Answer] = {}
        self.suite = "injection"  # what the requests count towards

    def ask(self, parameter: Parameter, value: str) -> Answer:
        path = self.stack_path(parameter, value)
        query = {name: self.valid[name] for name in self.required[(parameter.service,
                                                                   parameter.path)]}
        if parameter.where == "query":
            query[parameter.name] = value
        self.stack.count(self.suite)
        try:
            return Answer.of(self.clients[parameter.service].get(path, params=query))
        except httpx.TransportError as exc:  # a dropped connection is a finding too
            return Answer(0, f"no answer: {exc!r}")

    def stack_path(self, parameter: Parameter, value: str) -> str:
        path = parameter.path
        for name in self.valid:
            text = value if (parameter.where, parameter.name) == ("path", name) else (
                self.valid[name])
            path = path.replace(f"{{{name}}}", quote(text, safe=""))
        return path

    def refusal(self, parameter: Parameter, value: str) -> str | None:
        """Why the answer to ``value`` is wrong; None when it is right."""
        answer = self.ask(parameter, value)
        if answer.status >= 500:
            return f"{answer.status}: {str(answer.body)[:300]}"
        if answer.status == 422:
            body = answer.body if isinstance(answer.body, dict) else {}
            return None if body.get("code") and body.get("message") else f"422 without a " \
                f"reason: {str(answer.body)[:300]}"
        if parameter.where == "path" and answer.status == 404:
            return None
        literal = LITERAL.get((parameter.service, parameter.path, parameter.name))
        if literal is not None and answer.status == 200 and isinstance(answer.body, list):
            strays = [row for row in answer.body if not literal(row, value)]
            return f"rows the value does not name: {str(strays)[:300]}" if strays else None
        if parameter.name == "cursor" and answer.status == 200:
            return self.within_the_trace(parameter, answer)
        plain = self.plain.setdefault(parameter, self.ask(parameter, PLAIN))
        if (answer.status, answer.body) != (plain.status, plain.body):
            return (f"{answer.status}, {str(answer.body)[:300]} where the plain value answers "
                    f"{plain.status}, {str(plain.body)[:300]}")
        return None


    def within_the_trace(self, parameter: Parameter, answer: Answer) -> str | None:
        """A forged cursor that decodes is a position: its page must hold only what the whole
        trace of the lot holds."""
        whole = self.ask(parameter, "")  # no cursor: from the start
        whole_page = self.clients[parameter.service].get(
            self.stack_path(parameter, ""), params={"limit": 5000}).json()
        assert whole.status == 200, whole
        strays = [m for m in answer.body["movements"] if m not in whole_page["movements"]]
        return f"movements outside the trace: {strays[:3]}" if strays else None


def parameters(stack: FuzzStack, prober: Prober) -> list[Parameter]:
    found = []
    for service in SERVICES:
        document = httpx.get(f"{stack.url(service)}/openapi.json", timeout=30).json()
        for path, item in document["paths"].items():
            operation = item.get("get")
            if operation is None or path.startswith("/health"):
                continue
            declared = operation.get("parameters", [])
            prober.required[(service, path)] = [
                p["name"] for p in declared if p["in"] == "query" and p.get("required")]
            found += [Parameter(service, path, p["name"], p["in"]) for p in declared
                      if p["in"] in ("query", "path")]
    return found


def tables(stack: FuzzStack) -> dict[str, int]:
    """Every table of every service's database, with its rows."""
    counts = {}
    for service, database in stack.databases.items():
        with psycopg.connect(stack.postgres.dsn(database)) as conn:
            names = conn.execute(
                "SELECT table_schema, table_name FROM information_schema.tables WHERE "
                "table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', "
                "'information_schema')").fetchall()
            for schema, table in names:
                row = conn.execute(sql.SQL("SELECT count(*) FROM {}.{}").format(
                    sql.Identifier(schema), sql.Identifier(table))).fetchone()
                counts[f"{service}:{schema}.{table}"] = row[0] if row else -1
    return counts


def no_rebuild_running(stack: FuzzStack) -> None:
    """A rebuild (the schemathesis suite may start one) makes and drops tables: wait it out."""
    deadline = time.monotonic() + 120
    headers = {"Authorization": f"Bearer {stack.office_token}"}
    while True:
        answer = httpx.get(f"{stack.url('projections')}/admin/rebuild", headers=headers,
                           timeout=30)
        if answer.status_code == 404 or answer.json().get("state") not in ("running",
                                                                           "switching"):
            return
        assert time.monotonic() < deadline, answer.json()
        time.sleep(0.5)


@pytest.fixture(scope="module")
def prober(fuzz_stack: FuzzStack) -> Iterator[Prober]:
    valid = {**fuzz_stack.known(), "period": "2023", "year": "2023",
             "from": "2023-01-01T00:00:00+08:00", "to": "2024-01-01T00:00:00+08:00"}
    made = Prober(fuzz_stack, valid)
    yield made
    for client in made.clients.values():
        client.close()


@pytest.fixture(scope="module")
def every_parameter(fuzz_stack: FuzzStack, prober: Prober) -> list[Parameter]:
    found = parameters(fuzz_stack, prober)
    print(f"\ninjection: {len(found)} parameters of "
          f"{len({(p.service, p.path) for p in found})} GET operations: "
          f"{[p.label for p in found]}")
    assert {p.name for p in found} >= {"unit", "township", "kind", "state", "cursor", "period",
                                       "year", "from", "to", "lot", "case_id", "entity_id"}
    return found


def test_plain_matching_values_find_rows_so_a_leak_would_show(fuzz_stack: FuzzStack,
                                                              prober: Prober):
    workflow, projections = prober.clients["workflow"], prober.clients["projections"]
    assert workflow.get("/cases", params={"kind": "SD"}).json()
    assert workflow.get("/cases", params={"unit": "market-regulation"}).json()
    assert workflow.get("/cases", params={"state": "risk_control"}).json()
    assert workflow.get("/cases", params={"unit": PLAIN}).json() == []
    assert projections.get("/cases", params={"kind": "SD"}).json()
    assert projections.get(f"/lots/{quote(prober.valid['lot'], safe='')}/downstream").json()[
        "movements"]
    fuzz_stack.count("injection (controls)", 6)


def test_every_parameter_refuses_or_matches_nothing_for_the_nasty_strings(
        fuzz_stack: FuzzStack, prober: Prober, every_parameter: list[Parameter]):
    no_rebuild_running(fuzz_stack)
    before = tables(fuzz_stack)
    prober.suite = "injection (fixed strings)"
    wrong = {f"{p.label} = {value[:40]!r}": why for p in every_parameter for value in NASTY
             if (why := prober.refusal(p, value)) is not None}
    after = tables(fuzz_stack)
    assert wrong == {}, "\n".join(f"{k}: {v}" for k, v in wrong.items())
    assert set(after) == set(before), set(before) ^ set(after)
    assert all(after[t] >= rows for t, rows in before.items()), {
        t: (rows, after[t]) for t, rows in before.items() if after[t] < rows}
    assert sum(before.values()) > 0


def test_every_parameter_refuses_or_matches_nothing_for_generated_strings(
        fuzz_stack: FuzzStack, prober: Prober, every_parameter: list[Parameter]):
    wrong: dict[str, str] = {}

    @settings(max_examples=300, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(parameter=st.sampled_from(every_parameter), value=GENERATED)
    def probe(parameter: Parameter, value: str) -> None:
        why = prober.refusal(parameter, value)
        if why is not None:
            wrong.setdefault(parameter.label, f"{value[:60]!r}: {why}")

    no_rebuild_running(fuzz_stack)
    before = tables(fuzz_stack)
    prober.suite = "injection (generated strings)"
    probe()
    assert wrong == {}
    assert set(tables(fuzz_stack)) == set(before)
