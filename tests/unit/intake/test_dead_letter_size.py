"""The dead letter of the largest message intake takes still fits its topic.

A dead letter carries the refused bytes in base64 (4/3 of them) beside the reasons, so the
rejected topic is created with a larger ``max.message.bytes`` than the broker's 1 MiB default
(``contracts.topics.DEAD_LETTER_MAX_BYTES``); without it a large bad record could not be
dead-lettered and intake retried its batch forever (found by the hostile-input tests).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

from contracts.receipts import DeadLetter, Reason
from contracts.topics import DEAD_LETTER_MAX_BYTES, REJECTED, TOPIC_CONFIGS
from services.intake.settings import IntakeSettings

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"


def test_the_dead_letter_of_a_message_at_the_limit_fits_the_rejected_topic():
    limit = IntakeSettings.model_fields["max_message_bytes"].default
    worst = DeadLetter(original_base64=base64.b64encode(b"\xff" * limit).decode(),
        original_key_base64=base64.b64encode(b"k" * 1024).decode(), source="s" * 512,
        id="i" * 256, reasons=[Reason(code="invalid_data", path="data." + "x" * 200,
                                      message="m" * 500)] * 20,
        rejected_at=datetime.now(UTC), inbound_topic=REJECTED, trace_id="0" * 32)

    size = len(worst.model_dump_json().encode()) + 1024  # headers and record overhead

    assert limit < size < DEAD_LETTER_MAX_BYTES
    assert TOPIC_CONFIGS[REJECTED]["max.message.bytes"] == str(DEAD_LETTER_MAX_BYTES)


def test_the_deployments_give_the_rejected_topic_the_same_limit():
    setting = (f"--entity-name {REJECTED} --add-config "
               f"max.message.bytes={DEAD_LETTER_MAX_BYTES}")
    for script in ("compose.yaml", "k8s/topics-job.yaml"):
        assert setting in (DEPLOY / script).read_text(encoding="utf-8"), script
