"""Rule files (规则文件): JSON text → a checked :class:`RuleBook`. Pure; the caller reads the files.

Format (``services/workflow/rules/rulesets/<topic>.json``, one topic per file)::

    {"format_version": 1, "topic": "complaints", "description": "...",
     "versions": [{
        "id": "complaints/<slug>",             # starts with "<topic>/", unique in the book
        "effective_from": "2020-01-01", "effective_until": "2026-04-14" | null,
        "source": "...", "confidence": "V" | "S" | "R", "note": "...",
        "deadlines": {"<name>": {"amount": 7, "unit": "working_days" | "calendar_days" | "hours",
                                 "roll_to_working_day": false,        # calendar days only
                                 "starts": "what starts the clock",
                                 "extension": {"amount": 15, "unit": "working_days"},  # optional
                                 "excludes": ["testing"],             # pause kinds not counted
                                 "source": "...", "confidence": "V", "note": "..."}},
        "lists":   {"<name>": {"items": [{"code": "...", "label": "..."}], <provenance>}},
        "numbers": {"<name>": {"value": 3, <provenance>}},
        "dates":   {"<name>": {"month_day": "12-02", <provenance>}}}]}

``<provenance>`` is ``"source"`` (required, never empty), ``"confidence"`` and an optional
``"note"``. Unknown fields, unknown units, unsourced items, and versions of a topic that overlap
or leave a gap are refused with :class:`RuleDataError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, Final, NoReturn, TypeVar

from services.workflow.domain.deadlines import Budget
from services.workflow.domain.ruleitems import (
    AnnualDate,
    Code,
    CodeList,
    Confidence,
    DeadlineRule,
    NumberRule,
    Provenance,
    RuleDataError,
)
from services.workflow.domain.rulesets import RuleBook, RuleSet

__all__ = ["FORMAT_VERSION", "load_rulebook"]

FORMAT_VERSION: Final = 1
_NAME: Final = re.compile(r"[a-z][a-z0-9_]*")
_CODE: Final = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_PROVENANCE: Final = {"source", "confidence", "note"}
_T = TypeVar("_T")


def load_rulebook(texts: Mapping[str, str]) -> RuleBook:
    """Parse rule files (file name → JSON text) into a book checked for gaps and overlaps."""
    sets: list[RuleSet] = []
    for name, text in sorted(texts.items()):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as error:
            raise RuleDataError(f"{name}: not JSON: {error}") from None
        obj = _object(doc, name, {"format_version", "topic", "description", "versions"})
        if obj.get("format_version") != FORMAT_VERSION:
            _fail(f"{name}: format_version must be {FORMAT_VERSION}")
        topic, versions = _text(obj, "topic", name), obj.get("versions")
        if not _NAME.fullmatch(topic) or not isinstance(versions, list) or not versions:
            _fail(f"{name}: needs a lower_snake_case 'topic' and a non-empty 'versions' list")
        sets.extend(_version(raw, topic, f"{name} {topic}[{i}]") for i, raw in enumerate(versions))
    return RuleBook(sets)


def _version(raw: object, topic: str, where: str) -> RuleSet:
    sections = ("deadlines", "lists", "numbers", "dates")
    obj = _object(raw, where, {"id", "effective_from", "effective_until", *_PROVENANCE, *sections})
    set_id = _text(obj, "id", where)
    if not set_id.startswith(f"{topic}/"):
        _fail(f"{where}: 'id' must start with '{topic}/', not {set_id!r}")
    where = f"{where} {set_id}"
    until = obj.get("effective_until")
    return RuleSet(
        topic=topic,
        id=set_id,
        effective_from=_date(obj.get("effective_from"), f"{where} effective_from"),
        effective_until=None if until is None else _date(until, f"{where} effective_until"),
        provenance=_provenance(obj, where),
        deadlines=_section(obj, "deadlines", _deadline, where),
        lists=_section(obj, "lists", _code_list, where),
        numbers=_section(obj, "numbers", _number, where),
        dates=_section(obj, "dates", _annual_date, where),
    )


def _section(
    obj: Mapping[str, Any], key: str, parse: Callable[[str, Any, str], _T], where: str
) -> dict[str, _T]:
    items = _object(obj.get(key, {}), f"{where} {key}", None)
    for name in items:
        if not _NAME.fullmatch(name):
            _fail(f"{where} {key}: {name!r} is not a lower_snake_case name")
    return {name: parse(name, item, f"{where} {key}.{name}") for name, item in items.items()}


def _deadline(name: str, raw: object, where: str) -> DeadlineRule:
    keys = {"amount", "unit", "roll_to_working_day", "starts", "extension", "excludes"}
    obj = _object(raw, where, keys | _PROVENANCE)
    roll = obj.get("roll_to_working_day", False)
    excludes = obj.get("excludes", [])
    if not isinstance(roll, bool):
        _fail(f"{where}: 'roll_to_working_day' must be true or false")
    if not isinstance(excludes, list) or not all(_is_name(kind) for kind in excludes):
        _fail(f"{where}: 'excludes' must be a list of lower_snake_case pause kinds")
    raw_extension = obj.get("extension")
    extension = None
    if raw_extension is not None:
        extension = _budget(_object(raw_extension, f"{where}.extension", {"amount", "unit"}), where)
    return DeadlineRule(
        name=name,
        budget=_budget(obj, where, roll=roll),
        starts=_text(obj, "starts", where),
        provenance=_provenance(obj, where),
        extension=extension,
        excludes=frozenset(excludes),
    )


def _code_list(name: str, raw: object, where: str) -> CodeList:
    obj = _object(raw, where, {"items", *_PROVENANCE})
    items = obj.get("items")
    if not isinstance(items, list) or not items:
        _fail(f"{where}: 'items' must be a non-empty list")
    codes = []
    for index, item in enumerate(items):
        entry = _object(item, f"{where}.items[{index}]", {"code", "label"})
        code = _text(entry, "code", f"{where}.items[{index}]")
        if not _CODE.fullmatch(code):
            _fail(f"{where}: code {code!r} is not lower-case letters, digits, '_', '-' or '.'")
        codes.append(Code(code, _text(entry, "label", f"{where}.items[{index}]")))
    if len({c.code for c in codes}) != len(codes):
        _fail(f"{where}: a code is listed twice")
    return CodeList(name, tuple(codes), _provenance(obj, where))


def _number(name: str, raw: object, where: str) -> NumberRule:
    obj = _object(raw, where, {"value", *_PROVENANCE})
    value = obj.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        _fail(f"{where}: 'value' must be a number")
    return NumberRule(name, value, _provenance(obj, where))


def _annual_date(name: str, raw: object, where: str) -> AnnualDate:
    obj = _object(raw, where, {"month_day", *_PROVENANCE})
    day = _date(f"2000-{_text(obj, 'month_day', where)}", f"{where} month_day")  # a leap year
    return AnnualDate(name, day.month, day.day, _provenance(obj, where))


def _provenance(obj: Mapping[str, Any], where: str) -> Provenance:
    confidence = obj.get("confidence")
    if confidence not in {c.value for c in Confidence}:
        _fail(f"{where}: confidence must be 'V', 'S' or 'R', not {confidence!r}")
    note = obj.get("note", "")
    if not isinstance(note, str):
        _fail(f"{where}: 'note' must be text")
    return Provenance(_text(obj, "source", where), Confidence(confidence), note)


def _budget(obj: Mapping[str, Any], where: str, *, roll: bool = False) -> Budget:
    try:
        return Budget(obj.get("amount"), obj.get("unit"), roll)  # type: ignore[arg-type]
    except ValueError as error:
        raise RuleDataError(f"{where}: {error}") from None


def _object(raw: object, where: str, keys: set[str] | None) -> dict[str, Any]:
    if not isinstance(raw, dict):
        _fail(f"{where} must be a JSON object")
    unknown = sorted(set(raw) - keys) if keys is not None else []
    if unknown:
        _fail(f"{where}: unknown fields {unknown}")
    return raw


def _text(obj: Mapping[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        _fail(f"{where}: '{key}' is required text")
    return value


def _date(value: object, where: str) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise RuleDataError(f"{where}: not a date (YYYY-MM-DD): {value!r}")


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(_NAME.fullmatch(value))


def _fail(message: str) -> NoReturn:
    raise RuleDataError(message)
