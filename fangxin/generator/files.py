"""Data sets on disk (JSON Lines plus a truth file) and publishing messages to Kafka."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from fangxin.generator.message import BAD, FACT, Message
from fangxin.generator.truth import Truth

EPCIS_TYPE: Final = "org.gs1.epcis.document"
EPCIS_SOURCE: Final = "urn:fangxin:market:cli"  # a market traceability system (producers.json)
BATCH: Final = 500  # messages sent before waiting for their acknowledgements


def truth_path(out: Path) -> Path:
    return out.with_name(out.name + ".truth.json")


def write_dataset(out: Path, messages: Iterable[Message], truth: Truth,
                  progress: Callable[[int], None] | None = None) -> int:
    """``out`` as JSON Lines, one message a line, and ``out.truth.json``; returns the count.

    ``progress`` is told how many lines were written, every :data:`BATCH` lines and at the end.
    """
    count = 0
    with out.open("w", encoding="utf-8") as stream:
        for message in messages:
            stream.write(json.dumps(_line(message), ensure_ascii=False) + "\n")
            count += 1
            if progress is not None and count % BATCH == 0:
                progress(BATCH)
    if progress is not None and count % BATCH:
        progress(count % BATCH)
    truth_path(out).write_text(json.dumps(asdict(truth), ensure_ascii=False, indent=1) + "\n",
                               encoding="utf-8")
    return count


def _line(message: Message) -> dict[str, Any]:
    line: dict[str, Any] = {"key": message.key.decode() if message.key is not None else None}
    try:
        line["value"] = json.loads(message.value.decode("utf-8"))
    except ValueError:  # not UTF-8 or not JSON: kept byte for byte
        line["value_base64"] = base64.b64encode(message.value).decode("ascii")
    line |= {"kind": message.kind, "fact_type": message.fact_type,
             "expected_code": message.expected_code}
    return line


def read_messages(path: Path, epcis_source: str = EPCIS_SOURCE) -> list[Message]:
    """The messages of a file: JSON Lines from ``generate``, one CloudEvent, or an EPCIS 2.0
    document (wrapped as an ``org.gs1.epcis.document`` CloudEvent from ``epcis_source``)."""
    text = path.read_bytes()
    try:
        document = json.loads(text)
    except ValueError:
        return [_from_line(json.loads(line)) for line in text.splitlines() if line.strip()]
    if not isinstance(document, dict):
        raise ValueError(f"{path}: neither a CloudEvent, an EPCIS document nor JSON Lines")
    if "kind" in document and ("value" in document or "value_base64" in document):
        return [_from_line(document)]  # JSON Lines of a single message
    if "specversion" in document:
        return [Message(_key(document), text, FACT, document.get("type"), None)]
    if document.get("type") == "EPCISDocument" or "epcisBody" in document:
        return [_wrap_epcis(document, text, epcis_source)]
    raise ValueError(f"{path}: a JSON object that is neither a CloudEvent nor an EPCIS document")


def _from_line(line: dict[str, Any]) -> Message:
    if "value_base64" in line:
        value = base64.b64decode(line["value_base64"])
    else:
        value = json.dumps(line["value"], ensure_ascii=False, separators=(",", ":")).encode()
    key = line.get("key")
    return Message(key.encode() if key is not None else None, value,
                   line.get("kind", FACT), line.get("fact_type"), line.get("expected_code"))


def _key(event: dict[str, Any]) -> bytes | None:
    data = event.get("data")
    found = data.get("entity_id") or data.get("lot_code") if isinstance(data, dict) else None
    return str(found).encode() if found else None


def _wrap_epcis(document: dict[str, Any], raw: bytes, source: str) -> Message:
    """As intake's ``/epcis/capture`` wraps one: its id is the document's hash."""
    event = {"specversion": "1.0", "type": EPCIS_TYPE, "source": source,
             "id": f"sha256:{hashlib.sha256(raw).hexdigest()}",
             "time": datetime.now(UTC).isoformat(timespec="seconds"), "data": document}
    return Message(source.encode(), json.dumps(event, ensure_ascii=False).encode(), FACT,
                   EPCIS_TYPE, None)


async def publish_messages(bootstrap: str, topic: str, messages: Sequence[Message],
                           progress: Callable[[int], None] | None = None) -> int:
    """Send ``messages`` in order to ``topic``, in acknowledged batches; returns how many."""
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                linger_ms=20, max_batch_size=1_048_576)
    sent = 0
    try:
        await producer.start()
        for start in range(0, len(messages), BATCH):
            batch = messages[start:start + BATCH]
            futures = [await producer.send(topic, m.value, key=m.key) for m in batch]
            for future in futures:
                await future
            sent += len(batch)
            if progress is not None:
                progress(len(batch))
    finally:
        await producer.stop()
    return sent


__all__ = ["BAD", "publish_messages", "read_messages", "truth_path", "write_dataset"]
