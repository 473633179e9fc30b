"""Rejection codes: the stable vocabulary of why intake refuses a message.

The README's table is generated from ``CODES`` (``python -m services.intake.codes``), so the
documentation and the code cannot drift apart.
"""

from __future__ import annotations

import sys
from enum import StrEnum


class Code(StrEnum):
    TOO_LARGE = "too_large"
    BAD_ENCODING = "bad_encoding"
    NOT_JSON = "not_json"
    TOO_DEEP = "too_deep"
    NOT_AN_OBJECT = "not_an_object"
    INVALID_ENVELOPE = "invalid_envelope"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    INVALID_DATA = "invalid_data"
    UNAUTHORIZED_SOURCE = "unauthorized_source"
    INVALID_EPCIS = "invalid_epcis"
    GDST_PROFILE = "gdst_profile"


CODES: dict[Code, str] = {
    Code.TOO_LARGE: "The message is larger than the configured limit "
                    "(`FANGXIN_MAX_MESSAGE_BYTES`).",
    Code.BAD_ENCODING: "The bytes are not valid UTF-8.",
    Code.NOT_JSON: "The text is not JSON.",
    Code.TOO_DEEP: "The JSON nests deeper than the configured limit.",
    Code.NOT_AN_OBJECT: "The JSON is not an object; a CloudEvent is one.",
    Code.INVALID_ENVELOPE: "A CloudEvents attribute is missing or wrong (`path` names it), e.g. "
                           "`time` without an offset or `specversion` other than 1.0.",
    Code.UNKNOWN_TYPE: "`type` is not a fact type the platform knows.",
    Code.UNSUPPORTED_VERSION: "`dataschema` asks for a schema version the platform does not have.",
    Code.INVALID_DATA: "A field of `data` breaks the fact type's rules (`path` names it).",
    Code.UNAUTHORIZED_SOURCE: "The producer registry does not allow this `source` to publish "
                              "this `type` (or the HTTP token belongs to another source).",
    Code.INVALID_EPCIS: "The EPCIS 2.0 document breaks the standard's structure.",
    Code.GDST_PROFILE: "The EPCIS document breaks a GDST rule and the producer is held to the "
                       "GDST profile.",
}


def markdown_table() -> str:
    rows = ["| code | meaning |", "|---|---|"]
    rows += [f"| `{code.value}` | {meaning} |" for code, meaning in CODES.items()]
    return "\n".join(rows)


if __name__ == "__main__":
    sys.stdout.write(markdown_table() + "\n")
