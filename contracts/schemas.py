"""Generated contract documents: JSON Schema per message model, and one AsyncAPI 3.0 document.

``python -m contracts.schemas`` writes them; ``python -m contracts.schemas --check`` lists the
files that differ from the models (exit status 1), as the drift test does through :func:`check`.

- ``contracts/schemas/<type>.v<version>.json`` for every registered fact type (the ``data`` of
  its CloudEvent), plus ``envelope.json``, ``receipt.json``, ``dead_letter.json`` and
  ``case_event.json``;
- ``contracts/asyncapi.json``: every topic of :mod:`contracts.topics` with its messages.

Output is deterministic (sorted keys, registry and topic order) so that a diff means drift.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from contracts import topics
from contracts.cases import CaseEvent
from contracts.envelope import CloudEvent
from contracts.receipts import DeadLetter, Receipt
from contracts.registry import FactType, all_fact_types

ROOT: Final = Path(__file__).parent
SCHEMA_DIR: Final = "schemas"
ASYNCAPI_FILE: Final = "asyncapi.json"
JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
EPCIS_TYPE: Final = "org.gs1.epcis.document"
KAFKA_BINDING: Final = "0.5.0"


@dataclass(frozen=True)
class Message:
    """A message of the public surface that is not a fact: its model and file name."""

    name: str
    model: type[BaseModel]
    topic: str | None


SUPPORT_MESSAGES: Final = (
    Message("envelope", CloudEvent, None),
    Message("receipt", Receipt, topics.RECEIPTS),
    Message("dead_letter", DeadLetter, topics.REJECTED),
    Message("case_event", CaseEvent, topics.WORKFLOW_EVENTS),
)

TOPIC_NOTES: Final[dict[str, tuple[str, str]]] = {
    topics.INBOUND: ("CloudEvents 1.0 (structured JSON mode) from external producers",
                     "producer's choice"),
    topics.SUPERVISION: ("validated entity, inspection, sampling, complaint, summary and "
                         "kitchen-alert facts", "entity id (action id for summaries)"),
    topics.TRACE: ("validated shipped / received / transformed / certificate facts (EPCIS "
                   "mapped to these)", "lot code"),
    topics.RECEIPTS: ("one receipt per inbound message: accepted, duplicate or rejected, with "
                      "reasons", "source of the original"),
    topics.REJECTED: ("dead letters: the original bytes plus machine-readable reasons",
                      "original key"),
    topics.WORKFLOW_COMMANDS: ("commands on cases from other systems (message contract not yet "
                               "published)", "case id"),
    topics.WORKFLOW_EVENTS: ("case lifecycle events (opened, assigned, deadline set, warned, "
                             "overdue, escalated, advanced, closed...)", "case id"),
    topics.REPORTING: ("assessment snapshots and bulletins (message contract not yet published)",
                       "scope (unit / township / action + period)"),
}
RECEIVED_TOPICS: Final = frozenset({topics.INBOUND, topics.WORKFLOW_COMMANDS})


def render(document: dict[str, Any]) -> str:
    """The canonical text of a generated document."""
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def _file_schema(model: type[BaseModel], name: str, **extra: Any) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"urn:fangxin:schema:{name}", **schema,
            **extra}


def schema_documents() -> dict[str, dict[str, Any]]:
    """JSON Schema documents by file name (inside ``contracts/schemas``)."""
    documents = {
        f"{ft.schema_name}.json": _file_schema(ft.model, ft.schema_name, **{
            "x-fact-type": ft.type, "x-fact-version": ft.version, "x-topic": ft.topic})
        for ft in all_fact_types()
    }
    for message in SUPPORT_MESSAGES:
        documents[f"{message.name}.json"] = _file_schema(message.model, message.name)
    return documents


def _first_line(model: type[BaseModel]) -> str:
    return (model.__doc__ or model.__name__).strip().splitlines()[0]


def _kafka_key(description: str) -> dict[str, Any]:
    return {"kafka": {"bindingVersion": KAFKA_BINDING,
                      "key": {"type": "string", "description": description}}}


def _fact_message(ft: FactType, refs: dict[type[BaseModel], dict[str, Any]],
                  key: str) -> dict[str, Any]:
    return {
        "name": ft.type,
        "title": f"{ft.type} v{ft.version}",
        "summary": _first_line(ft.model),
        "contentType": "application/json",
        "payload": {"allOf": [refs[CloudEvent], {
            "type": "object",
            "required": ["type", "data"],
            "properties": {"type": {"const": ft.type}, "data": refs[ft.model]},
        }]},
        "bindings": _kafka_key(key),
    }


def _epcis_message(refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": EPCIS_TYPE,
        "title": "GS1 EPCIS 2.0 document",
        "summary": "An EPCIS 2.0 JSON / JSON-LD document; intake maps its events to trace facts.",
        "contentType": "application/json",
        "payload": {"allOf": [refs[CloudEvent], {
            "type": "object",
            "required": ["type", "data"],
            "properties": {"type": {"const": EPCIS_TYPE},
                           "data": {"type": "object", "description": "EPCISDocument"}},
        }]},
        "bindings": _kafka_key(TOPIC_NOTES[topics.INBOUND][1]),
    }


def _messages_by_topic(fact_types: tuple[FactType, ...],
                       refs: dict[type[BaseModel], dict[str, Any]],
                       ) -> dict[str, dict[str, dict[str, Any]]]:
    """Topic -> message id -> message (ids are unique across the document)."""
    by_topic: dict[str, dict[str, dict[str, Any]]] = {topic: {} for topic in topics.ALL}
    inbound = by_topic[topics.INBOUND]
    for ft in fact_types:
        inbound[f"{ft.schema_name}.inbound"] = _fact_message(ft, refs, _notes(topics.INBOUND)[1])
        by_topic.setdefault(ft.topic, {})[ft.schema_name] = _fact_message(
            ft, refs, _notes(ft.topic)[1])
    if EPCIS_TYPE not in {ft.type for ft in fact_types}:
        inbound[f"{EPCIS_TYPE}.inbound"] = _epcis_message(refs)
    for message in SUPPORT_MESSAGES:
        if message.topic is not None:
            by_topic.setdefault(message.topic, {})[message.name] = {
                "name": message.name,
                "title": message.model.__name__,
                "summary": _first_line(message.model),
                "contentType": "application/json",
                "payload": refs[message.model],
                "bindings": _kafka_key(_notes(message.topic)[1]),
            }
    return by_topic


def _notes(topic: str) -> tuple[str, str]:
    return TOPIC_NOTES.get(topic, ("", "unspecified"))


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 description of every topic and its messages."""
    fact_types = all_fact_types()
    models: list[type[BaseModel]] = [CloudEvent, *(m.model for m in SUPPORT_MESSAGES[1:])]
    models += [ft.model for ft in fact_types if ft.model not in models]
    keyed, definitions = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}")
    refs = {model: keyed[(model, "validation")] for model in models}
    by_topic = _messages_by_topic(fact_types, refs)
    messages = {i: m for topic_messages in by_topic.values() for i, m in topic_messages.items()}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic, topic_messages in by_topic.items():
        description, key = _notes(topic)
        ids = list(topic_messages)
        channels[topic] = {
            "address": topic,
            "description": f"{description}. Key: {key}.",
            "messages": {i: {"$ref": f"#/components/messages/{i}"} for i in ids},
            "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING, "topic": topic}},
        }
        action = "receive" if topic in RECEIVED_TOPICS else "send"
        operation: dict[str, Any] = {"action": action, "channel": {"$ref": f"#/channels/{topic}"},
                                     "summary": description}
        if ids:
            operation["messages"] = [{"$ref": f"#/channels/{topic}/messages/{i}"} for i in ids]
        operations[f"{action}.{topic}"] = operation
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "fangxin: Longting food-safety supervision events",
            "version": "1.0.0",
            "description": "Facts in, case events and snapshots out, over Kafka. Generated from "
                           "the contracts package by `python -m contracts.schemas`.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions.get("$defs", {})},
    }


def generated(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file and its text."""
    files = {root / SCHEMA_DIR / name: render(document)
             for name, document in schema_documents().items()}
    files[root / ASYNCAPI_FILE] = render(asyncapi_document())
    return files


def _stale(root: Path, expected: Iterable[Path]) -> list[Path]:
    wanted = set(expected)
    return [p for p in sorted((root / SCHEMA_DIR).glob("*.json")) if p not in wanted]


def check(root: Path = ROOT) -> list[Path]:
    """Files that differ from the models: changed, missing, or no longer generated."""
    files = generated(root)
    drifted = [path for path, text in files.items()
               if not path.is_file() or path.read_text(encoding="utf-8") != text]
    return sorted([*drifted, *_stale(root, files)])


def write(root: Path = ROOT) -> list[Path]:
    """Write every generated file and delete stale schemas; returns what changed."""
    changed = check(root)
    files = generated(root)
    (root / SCHEMA_DIR).mkdir(parents=True, exist_ok=True)
    for path in _stale(root, files):
        path.unlink()
    for path, text in files.items():
        if path in changed:
            path.write_text(text, encoding="utf-8")
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contracts.schemas", description=__doc__)
    parser.add_argument("--check", action="store_true",
                        help="only list the drifted files; exit status 1 if any")
    args = parser.parse_args(argv)
    paths = check() if args.check else write()
    for path in paths:
        print(path.relative_to(ROOT.parent))
    return 1 if args.check and paths else 0


if __name__ == "__main__":
    sys.exit(main())
