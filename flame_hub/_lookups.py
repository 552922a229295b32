"""Encode Django-style lookups (``name__startswith="lab-"``) as the Hub's bracket filters (``filter[name]=lab-~``).

The Hub silently drops filters it cannot apply and splits every value on commas. A filter
that would not select exactly what the caller requested therefore raises ``ValueError`` or
``TypeError`` here, before any request, instead of returning an unfiltered or wrongly
filtered list.

Supported lookups: ``exact`` (the default), ``ne``, ``in``, ``lt``, ``lte``, ``gt``, ``gte``,
``contains``, ``startswith``, ``endswith`` and ``isnull``.

``exclude()`` supports the negation of ``exact``, ``in``, ``contains``, ``startswith``,
``endswith`` and ``isnull``. The Hub ignores a ``!`` in front of a comparison, so excluding
``lt``/``lte``/``gt``/``gte`` raises; use the opposite comparison in ``filter()`` instead.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flame_hub.models._base import ResourceMeta

__all__ = ["LOOKUPS", "FilterCondition", "build_filter", "check_id", "to_camel"]

LOOKUPS = ("exact", "ne", "in", "lt", "lte", "gt", "gte", "contains", "startswith", "endswith", "isnull")

# Lookups matched as text: the Hub never converts their values to numbers or booleans.
_TEXT_MATCH = ("contains", "startswith", "endswith")

# Lookups whose negation the bracket syntax can express.
_EXCLUDABLE = ("exact", "in", "contains", "startswith", "endswith", "isnull")

# The Hub turns these strings into numbers or booleans before comparing, so a text field
# can never be compared with them as text.
_NUMBER_LIKE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def to_camel(name: str) -> str:
    """Return the camelCase wire name of a snake_case attribute name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


class FilterCondition:
    """One encoded filter: the wire key (``filter[realmId]``), the wire value and how it was written."""

    __slots__ = ("key", "lookup", "text", "value", "wire_field")

    def __init__(self, wire_field: str, value: str, lookup: str, text: str) -> None:
        self.wire_field = wire_field
        self.key = f"filter[{wire_field}]"
        self.value = value
        self.lookup = lookup
        self.text = text

    def __repr__(self) -> str:
        return f"FilterCondition({self.key}={self.value})"


def check_id(value: Any, *, what: str = "id") -> str:
    """Return ``value`` (a model object, ``uuid.UUID`` or string) as a UUID string, or raise."""
    from flame_hub.models._base import Model

    if isinstance(value, Model):
        if value.id is None:
            raise ValueError(f"The {type(value).__name__} object has no id yet; save() it before using it as {what}.")
        value = value.id
    if isinstance(value, uuid.UUID):
        return str(value)
    if value is None or value == "":
        raise ValueError(f"{what} must be a UUID, got {value!r}.")
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a UUID string, uuid.UUID or model object, got {type(value).__name__}.")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ValueError(f"{what} must be a UUID, got {value!r}.") from None


def build_filter(meta: ResourceMeta, key: str, value: Any, *, negate: bool = False) -> FilterCondition:
    """Encode one lookup ``key=value`` of ``filter()`` (or ``exclude()`` when ``negate``) for ``meta``'s resource."""
    name, _, lookup = key.partition("__")
    lookup = lookup or "exact"
    model_name = meta.model.__name__

    if lookup not in LOOKUPS:
        raise ValueError(f"Unsupported lookup {lookup!r} in {key!r}; use one of: {', '.join(LOOKUPS)}.")

    relation = meta.relations.get(name)
    field = relation.field if relation is not None else name
    if field not in meta.filters:
        allowed = ", ".join(sorted(meta.filters)) or "none"
        raise ValueError(
            f"{model_name} cannot be filtered by {name!r}: the Hub ignores that filter and would return "
            f"unfiltered rows. Filterable fields: {allowed}."
        )

    if negate and lookup not in _EXCLUDABLE:
        raise ValueError(
            f"exclude({key}=...) cannot be expressed as a Hub filter because the Hub ignores '!' before a "
            f"comparison; use filter() with the opposite comparison instead."
        )

    text = f"{key}={value!r}"
    wire_field = meta.wire_name(field)

    if lookup == "isnull":
        if not isinstance(value, bool):
            raise TypeError(f"{key} takes True or False, got {value!r}.")
        is_null = value != negate
        return FilterCondition(wire_field, "null" if is_null else "!null", lookup, text)

    if lookup == "in":
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise TypeError(f"{key} takes a list of values, got {value!r}.")
        items = [_encode_scalar(meta, field, key, item, lookup) for item in value]
        if not items:
            raise ValueError(f"{key} got an empty list; the Hub cannot express an empty IN filter.")
        wire = ",".join(items)
        if len(items) == 1:
            # A single value without a comma is an equality filter; the result is the same.
            wire = items[0]
        return FilterCondition(wire_field, ("!" if negate else "") + wire, lookup, text)

    if value is None:
        raise ValueError(f"{key}=None cannot be sent as a filter; use {name}__isnull=True instead.")

    scalar = _encode_scalar(meta, field, key, value, lookup)
    if lookup in ("contains", "startswith", "endswith") and meta.kinds.get(field) not in (None, "str"):
        raise TypeError(f"{key}: {lookup!r} works on text fields only, and {field!r} is not one.")

    wire = {
        "exact": scalar,
        "ne": "!" + scalar,
        "lt": "<" + scalar,
        "lte": "<=" + scalar,
        "gt": ">" + scalar,
        "gte": ">=" + scalar,
        "contains": f"~{scalar}~",
        "startswith": f"{scalar}~",
        "endswith": f"~{scalar}",
    }[lookup]
    if negate:
        wire = "!" + wire
    return FilterCondition(wire_field, wire, lookup, text)


def _encode_scalar(meta: ResourceMeta, field: str, key: str, value: Any, lookup: str) -> str:
    """Return the wire text of one filter value, raising when the Hub would read it differently."""
    kind = meta.kinds.get(field, "str")

    if kind == "uuid":
        return check_id(value, what=key)

    if kind == "bool":
        if not isinstance(value, bool):
            raise TypeError(f"{key} takes True or False, got {value!r}.")
        return "true" if value else "false"

    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{key} takes an integer, got {value!r}.")
        return str(value)

    if kind == "datetime":
        if isinstance(value, dt.datetime):
            return value.isoformat().replace("+00:00", "Z")
        raise TypeError(f"{key} takes a datetime, got {value!r}.")

    enum_cls = meta.enums.get(field)
    if enum_cls is not None:
        return _encode_enum(enum_cls, key, value)

    if isinstance(value, Enum):
        value = value.value
    if not isinstance(value, str):
        raise TypeError(f"{key} takes a string, got {type(value).__name__} {value!r}.")
    _check_text(key, value, typed=lookup not in _TEXT_MATCH)

    limit = meta.limits.get(field)
    if limit is not None and len(value) > limit[1]:
        raise ValueError(f"{key}: {value!r} is longer than the Hub's limit of {limit[1]} characters.")
    return value


def _encode_enum(enum_cls: type[Enum], key: str, value: Any) -> str:
    if isinstance(value, enum_cls):
        return str(value.value)
    allowed = [str(member.value) for member in enum_cls]
    if isinstance(value, str) and value in allowed:
        return value
    raise ValueError(f"{key}: {value!r} is not a value the Hub accepts; use one of: {', '.join(allowed)}.")


def _check_text(key: str, value: str, *, typed: bool) -> None:
    """Raise when the Hub's filter parser would not read ``value`` as this exact text.

    ``typed`` is false for contains/starts/ends, whose ``~`` keeps the value from being read
    as a number, boolean or null.
    """
    if value == "":
        raise ValueError(f"{key}: an empty string cannot be sent as a filter (the Hub drops it).")
    if "," in value:
        raise ValueError(f"{key}: {value!r} contains a comma, which the Hub reads as a list separator.")
    if value[0] in "!<>~":
        raise ValueError(f"{key}: {value!r} starts with {value[0]!r}, which the Hub reads as an operator.")
    if value.endswith("~"):
        raise ValueError(f"{key}: {value!r} ends with '~', which the Hub reads as a starts-with operator.")
    if not typed:
        return
    if value.lower() in ("null", "true", "false"):
        raise ValueError(f"{key}: the string {value!r} is read by the Hub as a null or boolean, not as text.")
    if _NUMBER_LIKE.match(value):
        raise ValueError(f"{key}: the string {value!r} is read by the Hub as a number, not as text.")
