"""Request body validation of the fake Hub's core service, with the Hub's issue codes, paths and messages.

A resource declares its writable attributes as ``Attribute`` values in the Hub's mount order.
``validate`` keeps only those keys, checks them and raises one 400 with an issue per bad attribute.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import FakeHubError, js_type

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_SLUG_CHARACTERS = re.compile(r"^[a-z0-9-_.]+$")


@dataclass(frozen=True)
class Attribute:
    """One writable attribute of a request body.

    ``kind`` is ``string``, ``slug`` (trimmed, lower-cased, ``[a-z0-9-_.]``), ``boolean``,
    ``integer``, ``uuid``, ``enum``, ``arguments`` (image command arguments) or ``labels``
    (a string-to-string object). ``required`` applies on create only; on update every attribute
    is optional. ``create`` and ``update`` select the operations that mount the attribute, so a
    create-only key sent on update is dropped.
    """

    name: str
    kind: str = "string"
    required: bool = False
    nullable: bool = False
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    create: bool = True
    update: bool = True


def is_uuid(value: Any) -> bool:
    """Return whether ``value`` is a UUID string in the canonical 8-4-4-4-12 form."""
    return isinstance(value, str) and _UUID.match(value) is not None


def is_uuid_v4(value: Any) -> bool:
    """Return whether ``value`` is a version 4 UUID string."""
    if not is_uuid(value):
        return False
    parsed = uuid.UUID(value)
    return parsed.version == 4 and parsed.variant == uuid.RFC_4122


def _issue(path: Sequence[str], message: str, code: str, optional: bool, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "item", "path": list(path), "message": message, "code": code}
    item.update(extra)
    if optional:
        item["meta"] = {"optional": True}
    return item


def _type_issue(path: Sequence[str], expected: str, value: Any, optional: bool) -> dict[str, Any]:
    message = f"Invalid input: expected {expected}, received {js_type(value)}"
    return _issue(path, message, "value_invalid", optional, expected=expected)


def _choices_issue(path: Sequence[str], choices: Sequence[str], optional: bool) -> dict[str, Any]:
    listed = "|".join(f'"{choice}"' for choice in choices)
    return _issue(path, f"Invalid option: expected one of {listed}", "one_of_failed", optional)


def _length_issues(path: Sequence[str], text: str, attribute: Attribute, optional: bool) -> list[dict[str, Any]]:
    if attribute.min_length is not None and len(text) < attribute.min_length:
        message = f"Too small: expected string to have >={attribute.min_length} characters"
        return [_issue(path, message, "min_length", optional, data={"min": attribute.min_length})]
    if attribute.max_length is not None and len(text) > attribute.max_length:
        message = f"Too big: expected string to have <={attribute.max_length} characters"
        return [_issue(path, message, "max_length", optional, data={"max": attribute.max_length})]
    return []


def _check(attribute: Attribute, value: Any, optional: bool) -> tuple[Any, list[dict[str, Any]]]:
    """Return the cleaned value and the issues of one present, non-null attribute value."""
    path = [attribute.name]
    kind = attribute.kind

    if kind == "enum":
        if value not in attribute.choices:
            return value, [_choices_issue(path, attribute.choices, optional)]
        return value, []

    if kind == "boolean":
        if not isinstance(value, bool):
            return value, [_type_issue(path, "boolean", value, optional)]
        return value, []

    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value, [_type_issue(path, "number", value, optional)]
        if attribute.minimum is not None and value < attribute.minimum:
            message = f"Too small: expected number to be >={attribute.minimum}"
            return value, [_issue(path, message, "min_value", optional, data={"min": attribute.minimum})]
        if attribute.maximum is not None and value > attribute.maximum:
            message = f"Too big: expected number to be <={attribute.maximum}"
            return value, [_issue(path, message, "max_value", optional, data={"max": attribute.maximum})]
        return value, []

    if kind == "arguments":
        return _check_arguments(attribute, value, optional)

    if kind == "labels":
        if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
            return value, [_issue(path, f"Property {attribute.name} is invalid", "value_invalid", optional)]
        return value, []

    if not isinstance(value, str):
        return value, [_type_issue(path, "string", value, optional)]

    if kind == "uuid":
        if not is_uuid(value):
            return value, [_issue(path, "Invalid UUID", "uuid", optional)]
        return value, []

    if kind == "slug":
        value = value.strip().lower()
        if re.search(r"\s", value):
            return value, [_issue(path, "Whitespace character is not allowed.", "value_invalid", optional)]
        if value and not _SLUG_CHARACTERS.match(value):
            message = "Only the characters [a-z0-9-_.]+ are allowed."
            return value, [_issue(path, message, "value_invalid", optional)]

    issues = _length_issues(path, value, attribute, optional)
    if issues:
        return value, issues
    if attribute.pattern is not None and re.fullmatch(attribute.pattern, value) is None:
        pattern = f"/{attribute.pattern}/"
        message = f"Invalid string: must match pattern {pattern}"
        return value, [_issue(path, message, "pattern", optional, data={"pattern": pattern})]
    return value, []


def _check_arguments(attribute: Attribute, value: Any, optional: bool) -> tuple[Any, list[dict[str, Any]]]:
    name = attribute.name
    if not isinstance(value, list):
        return value, [_issue([name], f"{name} must be an array.", "value_invalid", optional)]
    cleaned: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict):
            return value, [_issue([name], f"{name} must be an array of objects.", "value_invalid", optional)]
        argument = item.get("value")
        if not isinstance(argument, str):
            return value, [_type_issue([name, "value"], "string", argument, optional)]
        length = Attribute(name="value", min_length=2, max_length=512)
        issues = _length_issues([name, "value"], argument, length, optional)
        if issues:
            return value, issues
        entry: dict[str, Any] = {"value": argument}
        if "position" in item:
            position = item["position"]
            if position not in ("before", "after", None):
                return value, [_issue([name, "position"], "Invalid input", "value_invalid", optional)]
            entry["position"] = position
        cleaned.append(entry)
    return cleaned, []


def validate(
    body: Any,
    attributes: Sequence[Attribute],
    *,
    creating: bool,
    relation: str = "",
) -> dict[str, Any]:
    """Return the mounted, cleaned attributes of ``body``; raise 400 with one issue per bad attribute.

    Keys the operation does not mount are dropped. A missing required attribute is an issue on
    create; an explicit ``null`` passes for nullable attributes. On update, ``null`` for a
    non-nullable attribute passes validation and then fails like the database does: a 500 naming
    the ``relation`` table's column.
    """
    source: Mapping[str, Any] = body if isinstance(body, dict) else {}
    cleaned: dict[str, Any] = {}
    issues: list[dict[str, Any]] = []
    null_columns: list[str] = []

    for attribute in attributes:
        if not (attribute.create if creating else attribute.update):
            continue
        optional = not (creating and attribute.required)
        if attribute.name not in source:
            if not optional:
                issues.append(_missing_issue(attribute))
            continue
        value = source[attribute.name]
        if value is None:
            if attribute.nullable:
                cleaned[attribute.name] = None
            elif creating:
                issues.append(_null_issue(attribute, optional))
            else:
                null_columns.append(attribute.name)
            continue
        value, found = _check(attribute, value, optional)
        if found:
            issues.extend(found)
        else:
            cleaned[attribute.name] = value

    if issues:
        raise invalid(issues)
    if null_columns:
        column = null_columns[0]
        message = f'null value in column "{column}" of relation "{relation}" violates not-null constraint'
        raise FakeHubError(500, "internal_error", message)
    return cleaned


_EXPECTED_TYPES = {"boolean": "boolean", "integer": "number", "arguments": "array", "labels": "object"}


def _missing_issue(attribute: Attribute) -> dict[str, Any]:
    path = [attribute.name]
    if attribute.kind == "enum":
        return _choices_issue(path, attribute.choices, False)
    expected = _EXPECTED_TYPES.get(attribute.kind, "string")
    message = f"Invalid input: expected {expected}, received undefined"
    return _issue(path, message, "required", False, expected=expected)


def _null_issue(attribute: Attribute, optional: bool) -> dict[str, Any]:
    if attribute.kind == "enum":
        return _choices_issue([attribute.name], attribute.choices, optional)
    expected = _EXPECTED_TYPES.get(attribute.kind, "string")
    return _type_issue([attribute.name], expected, None, optional)


def invalid(issues: list[dict[str, Any]]) -> FakeHubError:
    """Build the Hub's 400 for failed attributes: one issue each, named in the message."""
    names = [".".join(issue["path"]) for issue in issues]
    if len(names) == 1:
        message = f"Property {names[0]} is invalid"
    else:
        message = f"Properties {', '.join(names)} are invalid."
    return FakeHubError(400, "bad_request", message, issues)
