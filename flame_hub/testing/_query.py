"""Rapiq-style query decoding and evaluation shared by the fake Hub's core, storage and auth services.

A service describes each resource once with a ``ResourceSchema`` and decodes the request's raw
query string with ``decode_query``. ``list_body`` and ``record_body`` then build the response
body: they filter, sort, count, page, project and attach included relations the way the Hub does.

Typical use in a handler::

    query = decode_query(request.url.query, NODE_SCHEMA, SCHEMAS)
    body = list_body(state.table("core.nodes").values(), query, NODE_SCHEMA, SCHEMAS, load_relation)

``load_relation(schema, relation, record)`` is the service's callback: it returns the raw related
record (a dict), a list of them, or ``None``. The engine projects and nests what it returns.
Schemas live in ``_query_schema`` and filters in ``_query_filters``; this module re-exports both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from ._query_filters import (
    COMPARISON_FUNCTIONS,
    LOGICAL_FUNCTIONS,
    RESERVED_NAMES,
    Condition,
    Filter,
    Group,
    coerce_scalar,
    field_value,
    key_issue,
    matches,
    parse_expression,
    parse_wire_value,
    rejected,
)
from ._query_schema import (
    MAX_LIMIT,
    RelationLoader,
    ResourceSchema,
    SchemaRegistry,
    describe,
    filter_key_allowed,
    resolve_relation_path,
)

__all__ = [
    "ALL_PARAMETERS",
    "COMPARISON_FUNCTIONS",
    "FORBIDDEN_KEYS",
    "LOGICAL_FUNCTIONS",
    "MAX_LIMIT",
    "RECORD_PARAMETERS",
    "RESERVED_NAMES",
    "Condition",
    "Filter",
    "Group",
    "Query",
    "QueryInput",
    "RelationLoader",
    "ResourceSchema",
    "SchemaRegistry",
    "apply_query",
    "coerce_scalar",
    "decode_query",
    "describe",
    "list_body",
    "matches",
    "parse_expression",
    "parse_query_string",
    "parse_wire_value",
    "project",
    "record_body",
    "rejected",
    "sort_records",
]

# Key names that would pollute a JavaScript object's prototype; the Hub's query parser rejects them.
FORBIDDEN_KEYS = frozenset({"__proto__", "constructor", "prototype"})

# Every query parameter a list read processes; record reads process only fields and relations.
ALL_PARAMETERS = ("filters", "sort", "pagination", "relations", "fields")
RECORD_PARAMETERS = ("fields", "relations")


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


def _reject_forbidden_keys(data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        if key in FORBIDDEN_KEYS:
            raise rejected(key_issue("keyInvalid", key, None, f"The key {key} is not permitted."))
        if isinstance(value, dict) and key != "filter":
            # Filter keys are checked against the allow-list instead: the Hub drops them silently.
            _reject_forbidden_nested(value, key)


def _reject_forbidden_nested(data: Mapping[str, Any], parameter: str) -> None:
    for key, value in data.items():
        if key in FORBIDDEN_KEYS:
            raise rejected(key_issue("keyInvalid", key, parameter, f"The key {key} is not permitted."))
        if isinstance(value, dict):
            _reject_forbidden_nested(value, parameter)


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
        if isinstance(value, dict) or not filter_key_allowed(key, schema, schemas):
            continue
        condition = parse_wire_value(key, value)
        if condition is not None:
            conditions.append(condition)
    if not conditions:
        return None
    if len(conditions) == 1:
        return conditions[0]
    return Group("and", tuple(conditions))


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
    related = resolve_relation_path(relation, schema, schemas)
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
        target = schema if path == "" else resolve_relation_path(path, schema, schemas)
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
            value = field_value(record, key, schema, loader, schemas)
            if value is None:
                return (1, "")
            if isinstance(value, str):
                return (0, value)
            if isinstance(value, bool):
                return (0, int(value))
            return (0, value)

        present = [record for record in ordered if field_value(record, key, schema, loader, schemas) is not None]
        absent = [record for record in ordered if field_value(record, key, schema, loader, schemas) is None]
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
