"""Building dead letters: the original bytes of a refused record and the reasons."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from contracts.receipts import DeadLetter, Reason


def dead_letter(record: Any, reasons: list[Reason]) -> DeadLetter:
    """``record`` is an aiokafka ``ConsumerRecord``."""
    key = record.key
    return DeadLetter(
        original_base64=base64.b64encode(record.value or b"").decode("ascii"),
        original_key_base64=base64.b64encode(key).decode("ascii") if key is not None else None,
        inbound_topic=record.topic,
        inbound_partition=record.partition,
        inbound_offset=record.offset,
        reasons=reasons,
        rejected_at=datetime.now(UTC),
    )
