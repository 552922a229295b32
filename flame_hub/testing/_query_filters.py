"""Filters of the fake Hub's query engine: bracket wire values, expression filters and their evaluation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import FakeHubError
from ._query_schema import RelationLoader, ResourceSchema, SchemaRegistry, filter_key_allowed

# Functions of the expression filter syntax (``filter=and(eq(name,'x'),...)``).
COMPARISON_FUNCTIONS = frozenset({"eq", "lt", "lte", "gt", "gte", "in", "nin", "contains", "startsWith", "endsWith"})
LOGICAL_FUNCTIONS = frozenset({"and", "or", "not"})
# Names the expression parser reserves; a field spelled like one of them is a syntax error.
RESERVED_NAMES = COMPARISON_FUNCTIONS | LOGICAL_FUNCTIONS | {"elemMatch", "size"}


# -- conditions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    """One comparison: ``field`` (``name`` or ``relation.name``) ``operator`` ``value``.

    Operators: ``eq lt lte gt gte in contains startsWith endsWith null``. ``negated`` turns the
    condition into its exact complement, so a negation also matches rows where the field is NULL.
    """

    field: str
    operator: str
    value: Any = None
    negated: bool = False


@dataclass(frozen=True)
class Group:
    """Conditions joined by ``and``, ``or`` or ``not`` (``not`` has exactly one child)."""

    operator: str
    children: tuple[Filter, ...]


Filter = Condition | Group


def rejected(issue: dict[str, Any]) -> FakeHubError:
    """Build the 400 error the Hub returns for a rejected query parameter."""
    return FakeHubError(400, "bad_request", "The input was rejected: 1 violation.", [issue])


def key_issue(code: str, key: str, parameter: str | None, message: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"parameter": parameter, "key": key} if parameter else {"key": key}
    return {"type": "item", "code": code, "path": [key], "message": message, "meta": meta}


# -- bracket filters --------------------------------------------------------------------------------


def coerce_scalar(text: str) -> Any:
    """Type a wire value: ``true``/``false``/``null`` and numbers become JSON scalars, else the text."""
    if text == "true":
        return True
    if text == "false":
        return False
    if text == "null":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?|-?\d+[eE][-+]?\d+", text):
        return float(text)
    return text


def parse_wire_value(key: str, raw: str) -> Condition | None:
    """Decode one bracket filter value (``!v``, ``<v``, ``~v~``, ``a,b``, ``null`` …) into a condition.

    Returns ``None`` for an empty value, which the Hub drops. A comma always makes an IN list,
    because the value is split before anything else.
    """
    value = raw.strip()
    negated = False
    if value.startswith("!"):
        negated = True
        value = value[1:]
    if not value:
        return None

    if "," in value:
        items = [coerce_scalar(item) for item in value.split(",") if item != ""]
        if not items:
            return None
        return Condition(key, "in", items, negated)

    for prefix, operator in (("<=", "lte"), (">=", "gte"), ("<", "lt"), (">", "gt")):
        if value.startswith(prefix):
            operand = value[len(prefix) :]
            if not operand:
                return None
            # A leading ``!`` before a comparison is discarded, as the Hub does.
            return Condition(key, operator, coerce_scalar(operand), False)

    starts = value.startswith("~")
    ends = value.endswith("~") and len(value) > 1
    if starts and ends:
        operand = value[1:-1]
        operator = "contains"
    elif starts:
        operand = value[1:]
        operator = "endsWith"
    elif value.endswith("~"):
        operand = value[:-1]
        operator = "startsWith"
    else:
        scalar = coerce_scalar(value)
        if scalar is None:
            return Condition(key, "null", None, negated)
        return Condition(key, "eq", scalar, negated)
    if not operand:
        return None
    return Condition(key, operator, operand, negated)


# -- expression filters ---------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)(?![\w.])|(?P<name>[A-Za-z_$][\w$.]*)"
    r"|(?P<punct>[(),]))"
)


class _Syntax(Exception):
    """A syntax error inside an expression filter, reported as ``syntaxInvalid``."""


def parse_expression(text: str, schema: ResourceSchema, schemas: SchemaRegistry) -> Filter:
    """Parse an expression filter such as ``and(eq(name,'x'),gte(createdAt,'2025-01-01'))``.

    Raises ``FakeHubError`` 400 with issue ``syntaxInvalid`` for bad syntax (including a field named
    like a function, such as ``size``) or ``keyNotAllowed`` for the first field ``schema`` does
    not allow.
    """
    try:
        tokens = _tokenize(text)
        parser = _ExpressionParser(tokens)
        node = parser.parse_call()
        if parser.position != len(tokens):
            raise _Syntax(f"Expected end of input, got {tokens[parser.position][1]}")
    except _Syntax as error:
        raise rejected(
            {
                "type": "item",
                "code": "syntaxInvalid",
                "path": [],
                "message": f"The input syntax is invalid: {error}",
                "meta": {"parameter": "filters"},
            }
        ) from None
    _check_expression_keys(node, schema, schemas)
    return node


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise _Syntax(f"Unexpected character {text[position:].strip()[0]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _ExpressionParser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise _Syntax("Unexpected end of input")
        self.position += 1
        return token

    def expect(self, punctuation: str) -> None:
        kind, text = self.take()
        if kind != "punct" or text != punctuation:
            raise _Syntax(f"Expected {punctuation}, got {text}")

    def parse_call(self) -> Filter:
        kind, name = self.take()
        if kind != "name" or name not in COMPARISON_FUNCTIONS | LOGICAL_FUNCTIONS:
            raise _Syntax(f"Expected FUNCTION, got {name}")
        self.expect("(")
        if name in LOGICAL_FUNCTIONS:
            children = [self.parse_call()]
            while self._next_is(","):
                self.take()
                children.append(self.parse_call())
            self.expect(")")
            if name == "not" and len(children) != 1:
                raise _Syntax("Expected one argument for not")
            return Group(name, tuple(children))

        field_kind, field_name = self.take()
        if field_kind != "name" or field_name in RESERVED_NAMES:
            raise _Syntax(f"Expected FIELD, got {field_name}")
        values: list[Any] = []
        while self._next_is(","):
            self.take()
            values.append(self.parse_value())
        self.expect(")")
        if not values:
            raise _Syntax(f"Expected VALUE after {field_name}")
        if name in ("in", "nin"):
            return Condition(field_name, "in", values, name == "nin")
        if len(values) != 1:
            raise _Syntax(f"Expected one value for {name}")
        value = values[0]
        if name == "eq" and value is None:
            return Condition(field_name, "null")
        return Condition(field_name, name, value)

    def parse_value(self) -> Any:
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("''", "'")
        if kind == "number":
            return coerce_scalar(text)
        if kind == "name" and text in ("true", "false", "null"):
            return coerce_scalar(text)
        raise _Syntax(f"Expected VALUE, got {text}")

    def _next_is(self, punctuation: str) -> bool:
        token = self.peek()
        return token is not None and token == ("punct", punctuation)


def _check_expression_keys(node: Filter, schema: ResourceSchema, schemas: SchemaRegistry) -> None:
    if isinstance(node, Group):
        for child in node.children:
            _check_expression_keys(child, schema, schemas)
        return
    if not filter_key_allowed(node.field, schema, schemas):
        raise rejected(key_issue("keyNotAllowed", node.field, "filters", f"The key {node.field} is not permitted."))


# -- evaluation -------------------------------------------------------------------------------------


def matches(
    record: Mapping[str, Any],
    node: Filter | None,
    schema: ResourceSchema,
    loader: RelationLoader | None = None,
    schemas: SchemaRegistry | None = None,
) -> bool:
    """Return whether ``record`` satisfies the filter ``node`` (``None`` matches everything)."""
    if node is None:
        return True
    if isinstance(node, Group):
        if node.operator == "and":
            return all(matches(record, child, schema, loader, schemas) for child in node.children)
        if node.operator == "or":
            return any(matches(record, child, schema, loader, schemas) for child in node.children)
        return not matches(record, node.children[0], schema, loader, schemas)
    found = _condition_holds(field_value(record, node.field, schema, loader, schemas), node)
    return not found if node.negated else found


def field_value(
    record: Mapping[str, Any],
    path: str,
    schema: ResourceSchema,
    loader: RelationLoader | None,
    schemas: SchemaRegistry | None,
) -> Any:
    if "." not in path:
        return record.get(path)
    relation_path, _, name = path.rpartition(".")
    current: Any = record
    current_schema: ResourceSchema | None = schema
    for segment in relation_path.split("."):
        if loader is None or current_schema is None or not isinstance(current, Mapping):
            return None
        current = loader(current_schema, segment, current)
        target = (current_schema.relations or {}).get(segment)
        current_schema = schemas.get(target) if schemas is not None and target else None
    if isinstance(current, Mapping):
        return current.get(name)
    return None


def _comparable(value: Any, operand: Any) -> tuple[Any, Any]:
    # Strings compare case-insensitively; a number or boolean typed from the URL is matched against its text.
    if isinstance(value, str) and not isinstance(operand, str) and operand is not None:
        operand = _json_text(operand)
    elif isinstance(operand, str) and not isinstance(value, str) and value is not None:
        value = _json_text(value)
    if isinstance(value, str) and isinstance(operand, str):
        return value.lower(), operand.lower()
    return value, operand


def _json_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _condition_holds(value: Any, condition: Condition) -> bool:
    operator = condition.operator
    if operator == "null":
        return value is None
    if value is None:
        return False

    if operator == "in":
        return any(_equal(value, item) for item in condition.value)
    if operator == "eq":
        return _equal(value, condition.value)
    if condition.value is None:
        return False

    left, right = _comparable(value, condition.value)
    try:
        if operator == "lt":
            return bool(left < right)
        if operator == "lte":
            return bool(left <= right)
        if operator == "gt":
            return bool(left > right)
        if operator == "gte":
            return bool(left >= right)
    except TypeError:
        return False

    text, operand = (_json_text(left).lower(), _json_text(right).lower())
    if operator == "contains":
        return operand in text
    if operator == "startsWith":
        return text.startswith(operand)
    if operator == "endsWith":
        return text.endswith(operand)
    raise ValueError(f"Unknown filter operator {operator!r}; use one of eq, lt, lte, gt, gte, in, contains, ….")


def _equal(value: Any, operand: Any) -> bool:
    if operand is None:
        return value is None
    left, right = _comparable(value, operand)
    return bool(left == right)
