"""Rapiq-style query decoding and evaluation shared by the fake Hub's core, storage and auth services.

A service describes each resource once with a ``ResourceSchema`` and decodes the request's raw
query string with ``decode_query``. ``list_body`` and ``record_body`` then build the response
body: they filter, sort, count, page, project and attach included relations the way the Hub does.

Typical use in a handler::

    query = decode_query(request.url.query, NODE_SCHEMA, SCHEMAS)
    body = list_body(state.table("core.nodes").values(), query, NODE_SCHEMA, SCHEMAS, load_relation)

``load_relation(schema, relation, record)`` is the service's callback: it returns the raw related
record (a dict), a list of them, or ``None``. The engine projects and nests what it returns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from ._errors import FakeHubError

# Page size used when a request gives none, and the clamp for larger ones, in every Hub and Authup schema.
MAX_LIMIT = 50

# Key names that would pollute a JavaScript object's prototype; the Hub's query parser rejects them.
FORBIDDEN_KEYS = frozenset({"__proto__", "constructor", "prototype"})

# Every query parameter a list read processes; record reads process only fields and relations.
ALL_PARAMETERS = ("filters", "sort", "pagination", "relations", "fields")
RECORD_PARAMETERS = ("fields", "relations")

# Functions of the expression filter syntax (``filter=and(eq(name,'x'),...)``).
COMPARISON_FUNCTIONS = frozenset({"eq", "lt", "lte", "gt", "gte", "in", "nin", "contains", "startsWith", "endsWith"})
LOGICAL_FUNCTIONS = frozenset({"and", "or", "not"})
# Names the expression parser reserves; a field spelled like one of them is a syntax error.
RESERVED_NAMES = COMPARISON_FUNCTIONS | LOGICAL_FUNCTIONS | {"elemMatch", "size"}


# -- schema ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceSchema:
    """The query capabilities of one resource, as the Hub or Authup declares them.

    ``None`` means a block was never declared and ``()`` that nothing is allowed; ``describe``
    reports both as declared. ``fields_default`` is the default projection and ``fields_allowed``
    what may be selected besides. A field in ``fields_allowed`` but not in a declared
    ``fields_default`` is hidden, so a request must add it with ``fields=+name``. ``relations`` maps
    each includable relation to the name of the related schema. ``flavour`` is ``"hub"`` or
    ``"authup"``; Authup schemas are not strict, declare ``indexes`` and drop multi-key sorts
    that are not a leftmost prefix of an index.
    """

    name: str
    fields_default: tuple[str, ...] | None = None
    fields_allowed: tuple[str, ...] | None = None
    filters: tuple[str, ...] | None = None
    sorts: tuple[str, ...] | None = None
    default_sort: tuple[tuple[str, str], ...] | None = None
    relations: Mapping[str, str] | None = None
    strict: bool = True
    indexes: tuple[tuple[str, ...], ...] | None = None
    max_limit: int = MAX_LIMIT
    flavour: str = "hub"

    @property
    def default_fields(self) -> tuple[str, ...] | None:
        """Return the fields a record shows without a ``fields`` parameter (``None``: all of them)."""
        if self.fields_default is not None:
            return self.fields_default
        return self.fields_allowed

    @property
    def selectable_fields(self) -> tuple[str, ...] | None:
        """Return every field ``fields`` may name (``None``: not declared)."""
        if self.fields_default is None and self.fields_allowed is None:
            return None
        combined = list(self.fields_default or ())
        combined.extend(name for name in self.fields_allowed or () if name not in combined)
        return tuple(combined)

    @property
    def hidden_fields(self) -> tuple[str, ...]:
        """Return the fields left out of the default projection that ``fields=+name`` can add."""
        if self.fields_default is None:
            return ()
        return tuple(name for name in self.fields_allowed or () if name not in self.fields_default)

    @property
    def sortable_fields(self) -> tuple[str, ...] | None:
        """Return the allowed sort keys; a schema with only a default sort allows its keys."""
        if self.sorts is not None:
            return self.sorts
        if self.default_sort is not None:
            return tuple(key for key, _ in self.default_sort)
        return None


SchemaRegistry = Mapping[str, ResourceSchema]
RelationLoader = Callable[[ResourceSchema, str, Mapping[str, Any]], Any]


def describe(schema: ResourceSchema, *, record: bool = False) -> dict[str, Any]:
    """Return ``meta.schema`` for ``schema``: the full description on lists, a shorter one on record reads."""
    authup = schema.flavour == "authup"
    indexes = [list(index) for index in schema.indexes] if schema.indexes is not None else None
    relations: dict[str, Any]
    if schema.relations is None:
        relations = {"allowed": None, "schemas": None}
    else:
        relations = {"allowed": list(schema.relations), "schemas": dict(schema.relations)}
    description: dict[str, Any] = {
        "name": schema.name,
        "strict": schema.strict,
        "indexes": indexes,
        "fields": {
            "default": _list_or_none(schema.fields_default),
            "allowed": _list_or_none(schema.fields_allowed),
        },
    }
    if not record:
        description["filters"] = {
            "allowed": _list_or_none(schema.filters),
            "caseSensitive": None,
            "indexed": "anchor" if authup else False,
        }
        description["pagination"] = {"maxLimit": schema.max_limit}
    description["relations"] = relations
    if not record:
        default_sort = dict(schema.default_sort) if schema.default_sort is not None else None
        description["sorts"] = {
            "allowed": _list_or_none(schema.sorts),
            "default": default_sort,
            "indexed": authup,
        }
    return description


def _list_or_none(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


# -- decoded query ------------------------------------------------------------------------------


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


@dataclass
class Query:
    """A decoded query: what to filter, sort, page, include and project.

    ``sort`` lists ``(field, "ASC" | "DESC")`` pairs in order. ``include`` lists relation paths
    such as ``"registry"`` or ``"registryProject.registry"``, each after its parents. ``fields``
    maps a relation path (``""`` for the root) to the selected field names.
    """

    filter: Filter | None = None
    sort: list[tuple[str, str]] = field(default_factory=list)
    limit: int = MAX_LIMIT
    offset: int = 0
    include: list[str] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)


# -- query string -----------------------------------------------------------------------------

QueryInput = dict[str, Any]

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def parse_query_string(raw: str) -> QueryInput:
    """Parse a raw query string into nested dicts, as the Hub's bracket-aware parser does.

    ``filter[registry.name]=x`` becomes ``{"filter": {"registry.name": "x"}}``; ``+`` decodes to a
    space and ``%2B`` to ``+``. A repeated key joins its values with commas. A plain string next to
    bracket keys of the same name (``filter=name&filter[id]=1``) replaces them.
    """
    result: QueryInput = {}
    for part in raw.split("&"):
        if not part:
            continue
        raw_key, _, raw_value = part.partition("=")
        key = unquote_plus(raw_key)
        value = unquote_plus(raw_value)
        segments = _split_key(key)
        if not segments or not segments[0]:
            continue
        _insert(result, segments, value)
    return result


def _split_key(key: str) -> list[str]:
    head, bracket, rest = key.partition("[")
    if not bracket:
        return [key]
    tail = "[" + rest
    segments = _SEGMENT.findall(tail)
    if "".join(f"[{segment}]" for segment in segments) != tail:
        # Unbalanced brackets: the whole key is one plain name.
        return [key]
    return [head, *segments]


def _insert(target: dict[str, Any], segments: list[str], value: str) -> None:
    *parents, last = segments
    node = target
    for segment in parents:
        child = node.get(segment)
        if isinstance(child, str):
            # A plain string wins over bracket keys of the same name.
            return
        if child is None:
            child = {}
            node[segment] = child
        node = child
    existing = node.get(last)
    if isinstance(existing, dict):
        node[last] = value
    elif isinstance(existing, str):
        node[last] = f"{existing},{value}"
    else:
        node[last] = value


def decode_query(
    raw: str | QueryInput,
    schema: ResourceSchema,
    schemas: SchemaRegistry,
    *,
    parameters: Sequence[str] = ALL_PARAMETERS,
) -> Query:
    """Decode a raw query string (or its parsed form) against ``schema``.

    Disallowed filter keys, sort keys, relations and fields are dropped silently. An expression
    filter with bad syntax or a disallowed key raises ``FakeHubError`` 400 ``bad_request`` with
    one issue, and so does a key named ``__proto__``, ``constructor`` or ``prototype``.
    ``parameters`` limits what is processed: record reads pass ``RECORD_PARAMETERS``.
    """
    data = parse_query_string(raw) if isinstance(raw, str) else raw
    _reject_forbidden_keys(data)

    query = Query(limit=schema.max_limit)
    if "relations" in parameters:
        query.include = _decode_include(data.get("include"), schema, schemas)
    if "filters" in parameters:
        query.filter = _decode_filters(data.get("filter"), schema, schemas)
    if "sort" in parameters:
        query.sort = _decode_sort(data.get("sort"), schema, schemas, query.include)
    if "pagination" in parameters:
        query.limit, query.offset = _decode_page(data.get("page"), schema)
    if "fields" in parameters:
        query.fields = _decode_fields(data.get("fields"), schema, schemas, query.include)
    return query


def rejected(issue: dict[str, Any]) -> FakeHubError:
    """Build the 400 error the Hub returns for a rejected query parameter."""
    return FakeHubError(400, "bad_request", "The input was rejected: 1 violation.", [issue])


def _reject_forbidden_keys(data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if key in FORBIDDEN_KEYS:
            raise rejected(_key_issue("keyInvalid", key, None, f"The key {key} is not permitted."))
        if isinstance(value, dict) and key != "filter":
            # Filter keys are checked against the allow-list instead: the Hub drops them silently.
            _reject_forbidden_nested(value, key)


def _reject_forbidden_nested(data: Mapping[str, Any], parameter: str) -> None:
    for key, value in data.items():
        if key in FORBIDDEN_KEYS:
            raise rejected(_key_issue("keyInvalid", key, parameter, f"The key {key} is not permitted."))
        if isinstance(value, dict):
            _reject_forbidden_nested(value, parameter)


def _key_issue(code: str, key: str, parameter: str | None, message: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"parameter": parameter, "key": key} if parameter else {"key": key}
    return {"type": "item", "code": code, "path": [key], "message": message, "meta": meta}


# -- include ----------------------------------------------------------------------------------------


def _decode_include(raw: Any, schema: ResourceSchema, schemas: SchemaRegistry) -> list[str]:
    if not isinstance(raw, str) or schema.relations is None:
        return []
    paths: list[str] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        current = schema
        prefix: list[str] = []
        for segment in item.split("."):
            relations = current.relations or {}
            if segment not in relations:
                break
            prefix.append(segment)
            path = ".".join(prefix)
            if path not in paths:
                paths.append(path)
            related = schemas.get(relations[segment])
            if related is None:
                break
            current = related
    return paths


def _resolve_relation_path(path: str, schema: ResourceSchema, schemas: SchemaRegistry) -> ResourceSchema | None:
    current = schema
    for segment in path.split("."):
        relations = current.relations or {}
        if segment not in relations:
            return None
        related = schemas.get(relations[segment])
        if related is None:
            return None
        current = related
    return current


# -- filters ----------------------------------------------------------------------------------------


def _decode_filters(raw: Any, schema: ResourceSchema, schemas: SchemaRegistry) -> Filter | None:
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        if "(" not in text:
            # A bare word such as ``filter=name`` is no expression; the Hub then applies no filter at all.
            return None
        return parse_expression(text, schema, schemas)
    if not isinstance(raw, dict):
        return None
    conditions: list[Filter] = []
    for key, value in raw.items():
        if isinstance(value, dict) or not _filter_key_allowed(key, schema, schemas):
            continue
        condition = parse_wire_value(key, value)
        if condition is not None:
            conditions.append(condition)
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return Group("and", tuple(conditions))


def _filter_key_allowed(key: str, schema: ResourceSchema, schemas: SchemaRegistry) -> bool:
    # NOTE: Authup declares its filters as indexed ("anchor"); this check ignores indexes and uses the allow-list only.
    relation, dot, name = key.rpartition(".")
    if not dot:
        if schema.filters is None:
            return not schema.strict
        return key in schema.filters
    related = _resolve_relation_path(relation, schema, schemas)
    if related is None:
        return False
    if related.filters is None:
        return not related.strict
    return name in related.filters


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
    if not _filter_key_allowed(node.field, schema, schemas):
        raise rejected(_key_issue("keyNotAllowed", node.field, "filters", f"The key {node.field} is not permitted."))


# -- sort, page, fields -------------------------------------------------------------------------------


def _decode_sort(
    raw: Any, schema: ResourceSchema, schemas: SchemaRegistry, include: Sequence[str]
) -> list[tuple[str, str]]:
    requested: list[tuple[str, str]] = []
    if isinstance(raw, str):
        for item in raw.split(","):
            item = item.strip()
            if not item:
                continue
            if item.startswith("-"):
                requested.append((item[1:], "DESC"))
            else:
                requested.append((item.lstrip("+"), "ASC"))
    elif isinstance(raw, dict):
        for key, direction in raw.items():
            if isinstance(direction, str):
                requested.append((key, "DESC" if direction.strip().lower() == "desc" else "ASC"))

    sort = [(key, direction) for key, direction in requested if _sort_key_allowed(key, schema, schemas, include)]
    if schema.indexes is not None and schema.flavour == "authup" and len(sort) > 1:
        keys = [key for key, _ in sort]
        if not any(list(index[: len(keys)]) == keys for index in schema.indexes):
            sort = []
    if not sort and schema.default_sort is not None:
        sort = list(schema.default_sort)
    return sort


def _sort_key_allowed(key: str, schema: ResourceSchema, schemas: SchemaRegistry, include: Sequence[str]) -> bool:
    relation, dot, name = key.rpartition(".")
    if not dot:
        allowed = schema.sortable_fields
        return (not schema.strict) if allowed is None else key in allowed
    if relation not in include:
        return False
    related = _resolve_relation_path(relation, schema, schemas)
    if related is None:
        return False
    allowed = related.sortable_fields
    return (not related.strict) if allowed is None else name in allowed


_LEADING_INTEGER = re.compile(r"\s*([+-]?\d+)")


def _parse_int(raw: Any) -> int | None:
    # Like JavaScript's parseInt: "1.5" is 1, "abc" is no number.
    if not isinstance(raw, str):
        return None
    match = _LEADING_INTEGER.match(raw)
    return int(match.group(1)) if match else None


def _decode_page(raw: Any, schema: ResourceSchema) -> tuple[int, int]:
    limit = schema.max_limit
    offset = 0
    if isinstance(raw, dict):
        requested_limit = _parse_int(raw.get("limit"))
        if requested_limit is not None and requested_limit > 0:
            limit = min(requested_limit, schema.max_limit)
        requested_offset = _parse_int(raw.get("offset"))
        if requested_offset is not None and requested_offset >= 0:
            offset = requested_offset
    return limit, offset


def _decode_fields(
    raw: Any, schema: ResourceSchema, schemas: SchemaRegistry, include: Sequence[str]
) -> dict[str, list[str]]:
    selections: dict[str, str] = {}
    if isinstance(raw, str):
        selections[""] = raw
    elif isinstance(raw, dict):
        for key, value in raw.items():
            if isinstance(value, str):
                selections["" if key == "$root" else key] = value

    fields: dict[str, list[str]] = {}
    for path, text in selections.items():
        target = schema if path == "" else _resolve_relation_path(path, schema, schemas)
        if target is None or (path and path not in include):
            continue
        selected = _select_fields(text, target)
        if selected is not None:
            fields[path] = selected
    return fields


def _select_fields(text: str, schema: ResourceSchema) -> list[str] | None:
    selectable = schema.selectable_fields
    if selectable is None and schema.strict:
        return None
    default = list(schema.default_fields or ())
    replaced: list[str] = []
    added: list[str] = []
    removed: set[str] = set()
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        modifier = item[0] if item[0] in "+-" else ""
        name = item[len(modifier) :]
        if selectable is not None and name not in selectable:
            continue
        if modifier == "+":
            added.append(name)
        elif modifier == "-":
            removed.add(name)
        else:
            replaced.append(name)
    if not replaced and not added and not removed:
        return None
    base = replaced if replaced else default
    result = [name for name in base if name not in removed]
    result.extend(name for name in added if name not in result and name not in removed)
    return result


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
    found = _condition_holds(_field_value(record, node.field, schema, loader, schemas), node)
    return not found if node.negated else found


def _field_value(
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


def sort_records(
    records: Sequence[Mapping[str, Any]],
    sort: Sequence[tuple[str, str]],
    schema: ResourceSchema,
    loader: RelationLoader | None = None,
    schemas: SchemaRegistry | None = None,
) -> list[Mapping[str, Any]]:
    """Return ``records`` ordered by ``sort`` (stable; NULLs last ascending and first descending, as in Postgres)."""
    ordered = list(records)
    for key, direction in reversed(sort):
        descending = direction == "DESC"

        def sort_key(record: Mapping[str, Any], key: str = key) -> tuple[int, Any]:
            value = _field_value(record, key, schema, loader, schemas)
            if value is None:
                return (1, "")
            if isinstance(value, str):
                return (0, value)
            if isinstance(value, bool):
                return (0, int(value))
            return (0, value)

        present = [record for record in ordered if _field_value(record, key, schema, loader, schemas) is not None]
        absent = [record for record in ordered if _field_value(record, key, schema, loader, schemas) is None]
        present.sort(key=sort_key, reverse=descending)
        ordered = absent + present if descending else present + absent
    return ordered


def project(
    record: Mapping[str, Any],
    query: Query,
    schema: ResourceSchema,
    schemas: SchemaRegistry,
    loader: RelationLoader | None,
    path: str = "",
) -> dict[str, Any]:
    """Return ``record`` with the selected fields and the included relations attached."""
    selected = query.fields.get(path)
    if selected is None:
        selected = list(schema.default_fields) if schema.default_fields is not None else None
    if selected is None:
        output = {key: value for key, value in record.items() if key not in schema.hidden_fields}
    else:
        output = {key: record.get(key) for key in selected}

    prefix = f"{path}." if path else ""
    for relation_path in query.include:
        if not relation_path.startswith(prefix):
            continue
        relation = relation_path[len(prefix) :]
        if "." in relation or loader is None:
            continue
        related_schema = schemas.get((schema.relations or {}).get(relation, ""))
        related = loader(schema, relation, record)
        if related_schema is None:
            output[relation] = related
        elif isinstance(related, Mapping):
            output[relation] = project(related, query, related_schema, schemas, loader, relation_path)
        elif isinstance(related, list):
            output[relation] = [
                project(item, query, related_schema, schemas, loader, relation_path) for item in related
            ]
        else:
            output[relation] = None
    return output


def apply_query(
    records: Iterable[Mapping[str, Any]],
    query: Query,
    schema: ResourceSchema,
    schemas: SchemaRegistry,
    loader: RelationLoader | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Filter, sort, count and page ``records``; return the projected page and the unpaged total."""
    selected = [record for record in records if matches(record, query.filter, schema, loader, schemas)]
    ordered = sort_records(selected, query.sort, schema, loader, schemas)
    page = ordered[query.offset : query.offset + query.limit]
    return [project(record, query, schema, schemas, loader) for record in page], len(selected)


def list_body(
    records: Iterable[Mapping[str, Any]],
    query: Query,
    schema: ResourceSchema,
    schemas: SchemaRegistry,
    loader: RelationLoader | None = None,
) -> dict[str, Any]:
    """Return the Hub's collection envelope ``{data, meta: {total, limit, offset, schema}}``."""
    data, total = apply_query(records, query, schema, schemas, loader)
    meta = {"total": total, "limit": query.limit, "offset": query.offset, "schema": describe(schema)}
    return {"data": data, "meta": meta}


def record_body(
    record: Mapping[str, Any],
    query: Query,
    schema: ResourceSchema,
    schemas: SchemaRegistry,
    loader: RelationLoader | None = None,
) -> dict[str, Any]:
    """Return the Hub's record-read envelope ``{data, meta: {schema}}``."""
    data = project(record, query, schema, schemas, loader)
    return {"data": data, "meta": {"schema": describe(schema, record=True)}}
