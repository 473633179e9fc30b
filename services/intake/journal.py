"""A fact's journey in intake's log: a line per answered message, with its W3C trace id.

Refusals are logged at INFO (an operator acts on them); accepted and duplicate messages at DEBUG,
so ``FANGXIN_LOG_LEVEL=DEBUG`` gives one line per message and ``grep <trace id>`` over every
service's log follows a fact from intake through the workflow to the read models.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from contracts.receipts import ReceiptStatus
from services.intake.application import Answer

log = logging.getLogger("fangxin.intake.journey")


def journal(answers: Sequence[Answer]) -> None:
    detailed = log.isEnabledFor(logging.DEBUG)
    for answer in answers:
        receipt = answer.receipt
        rejected = receipt.status is ReceiptStatus.REJECTED
        if not (rejected or detailed):
            continue
        log.log(logging.INFO if rejected else logging.DEBUG, f"message {receipt.status.value}",
                extra={"trace_id": receipt.trace_id, "source": receipt.source,
                       "fact_id": receipt.id, "type": receipt.type,
                       "channel": receipt.channel.value,
                       "position": f"{receipt.inbound_topic}:{receipt.inbound_partition}:"
                                   f"{receipt.inbound_offset}",
                       "reasons": [r.code for r in receipt.reasons],
                       "routed_to": receipt.routed_to, "duplicate_of": receipt.duplicate_of})
