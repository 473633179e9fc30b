"""The committed JSON Schema and AsyncAPI documents match the models."""

from __future__ import annotations

import json
from collections.abc import Iterator

from contracts import topics
from contracts.registry import all_fact_types
from contracts.schemas import asyncapi_document, check, write


def test_the_committed_documents_match_the_models():
    drifted = check()
    assert drifted == [], (
        f"regenerate with `python -m contracts.schemas`: {[str(p) for p in drifted]}")


def test_a_changed_missing_or_stale_document_is_reported(tmp_path):
    write(tmp_path)
    assert check(tmp_path) == []

    (tmp_path / "asyncapi.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "schemas" / "receipt.json").unlink()
    (tmp_path / "schemas" / "foodsafety.weather.reported.v1.json").write_text("{}\n")

    assert [p.relative_to(tmp_path).as_posix() for p in check(tmp_path)] == [
        "asyncapi.json", "schemas/foodsafety.weather.reported.v1.json", "schemas/receipt.json"]
    write(tmp_path)
    assert check(tmp_path) == []


def test_generation_is_deterministic():
    assert json.dumps(asyncapi_document(), sort_keys=True) == json.dumps(
        asyncapi_document(), sort_keys=True)


def test_asyncapi_describes_every_topic_and_every_fact_type():
    document = asyncapi_document()

    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == set(topics.ALL)
    for fact_type in all_fact_types():
        channel = document["channels"][fact_type.topic]
        assert fact_type.schema_name in channel["messages"]
        assert f"{fact_type.schema_name}.inbound" in \
            document["channels"][topics.INBOUND]["messages"]
    assert "receipt" in document["channels"][topics.RECEIPTS]["messages"]
    assert "dead_letter" in document["channels"][topics.REJECTED]["messages"]
    assert "case_event" in document["channels"][topics.WORKFLOW_EVENTS]["messages"]


def test_every_reference_in_asyncapi_resolves():
    document = asyncapi_document()

    def refs(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    for ref in refs(document):
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
