"""Exact re-sends (duplicates) and deliberately bad messages for the rejection path.

Each bad message names the code intake gives it (``services/intake/codes.py``): not JSON, not
UTF-8, an unknown type, a USCC with a wrong check character, a verdict disagreeing with its
items, a time without an offset, a source not allowed to publish the type.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from typing import Any, Final

from fangxin.generator.common import Fact
from fangxin.generator.message import BAD, DUPLICATE, Message

DUPLICATE_SHARE: Final = 0.015  # producers retrying after a lost acknowledgement
BAD_SHARE: Final = 0.01  # broken producers and hand-made mistakes
RESEND_WITHIN: Final = 40  # a re-send follows its original within this many messages
INTRUDER: Final = "urn:fangxin:kitchen:mingchu-longting"  # may publish kitchen alerts only

Breaker = Callable[[random.Random, dict[str, Any], int], tuple[bytes, str] | None]


def encode(envelope: dict[str, Any]) -> bytes:
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def _not_json(_: random.Random, event: dict[str, Any], __: int) -> tuple[bytes, str]:
    text = json.dumps(event, ensure_ascii=False)
    return text[: len(text) // 2].encode(), "not_json"  # cut short, still UTF-8


def _bad_encoding(_: random.Random, event: dict[str, Any], __: int) -> tuple[bytes, str] | None:
    # a producer writing GBK (the old Windows code page) instead of UTF-8
    raw = json.dumps(event, ensure_ascii=False).encode("gbk", errors="replace")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw, "bad_encoding"
    return None  # nothing Chinese in it: GBK and UTF-8 agree


def _unknown_type(_: random.Random, event: dict[str, Any], n: int) -> tuple[bytes, str]:
    event = {**event, "id": f"bad-{n}", "type": "foodsafety.inspection.planned"}
    return encode(event), "unknown_type"


def _bad_uscc(_: random.Random, event: dict[str, Any], n: int) -> tuple[bytes, str] | None:
    uscc = event["data"].get("entity_id", "")
    if event["type"] != "foodsafety.entity.registered" or len(uscc) != 18 \
            or event["data"].get("id_scheme") != "uscc":
        return None
    wrong = "0" if uscc[-1] != "0" else "1"
    data = {**event["data"], "entity_id": uscc[:-1] + wrong}
    return encode({**event, "id": f"bad-{n}", "data": data}), "invalid_data"


def _verdict(_: random.Random, event: dict[str, Any], n: int) -> tuple[bytes, str] | None:
    if event["type"] != "foodsafety.sampling.reported":
        return None
    data = copy.deepcopy(event["data"])
    data["verdict"] = "qualified" if data["verdict"] == "unqualified" else "unqualified"
    return encode({**event, "id": f"bad-{n}", "data": data}), "invalid_data"


def _no_offset(_: random.Random, event: dict[str, Any], n: int) -> tuple[bytes, str]:
    return encode({**event, "id": f"bad-{n}", "time": event["time"][:19]}), "invalid_envelope"


def _intruder(_: random.Random, event: dict[str, Any], n: int) -> tuple[bytes, str] | None:
    if event["type"] == "foodsafety.kitchen.alerted":
        return None
    return encode({**event, "id": f"bad-{n}", "source": INTRUDER}), "unauthorized_source"


BREAKERS: Final[tuple[Breaker, ...]] = (_not_json, _bad_encoding, _unknown_type, _bad_uscc,
                                         _verdict, _no_offset, _intruder)


def resend(message: Message) -> Message:
    return Message(message.key, message.value, DUPLICATE, message.fact_type, None)


def mix_in(rng: random.Random, facts: list[Fact], messages: list[Message]) -> list[Message]:
    """``messages`` (the facts, in order) with re-sends and bad messages among them.

    A fault is chosen first and applied to the next fact it fits (a wrong USCC check character
    waits for a registration), so every kind of bad message appears about equally often.
    """
    out: list[Message] = []
    resends: list[tuple[int, Message]] = []  # (release after this index, re-send)
    wanted: list[Breaker] = []
    bad = 0
    for index, (fact, message) in enumerate(zip(facts, messages, strict=True)):
        out.append(message)
        if rng.random() < DUPLICATE_SHARE:
            resends.append((index + rng.randint(0, RESEND_WITHIN), resend(message)))
        if rng.random() < BAD_SHARE:
            wanted.append(rng.choice(BREAKERS))
        if wanted:
            envelope = fact.envelope()
            for breaker in list(wanted):
                broken = breaker(rng, envelope, bad + 1)
                if broken is not None:
                    bad += 1
                    out.append(Message(fact.key.encode(), broken[0], BAD, fact.type, broken[1]))
                    wanted.remove(breaker)
                    break
        if resends:
            out.extend(m for release, m in resends if release <= index)
            resends = [(release, m) for release, m in resends if release > index]
    out.extend(m for _, m in resends)
    return out
