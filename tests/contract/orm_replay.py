"""Read the recorded Hub exchanges from the ORM's side: which model a path names, and a recorded query as a QuerySet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from contract_replay import load_scenario, scenario_paths

from flame_hub.models import RESOURCES, Model
from flame_hub.models._base import Relation

# The Hub's paging when a list request names none, as the recorded responses' ``meta`` shows it.
HUB_DEFAULT_LIMIT = 50
HUB_DEFAULT_OFFSET = 0


@dataclass(frozen=True)
class RecordedStep:
    """One recorded step that was sent, with the scenario it belongs to."""

    scenario: str
    index: int
    step: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.scenario}#{self.index}"

    @property
    def request(self) -> dict[str, Any]:
        return self.step["request"]

    @property
    def response(self) -> dict[str, Any]:
        return self.step["response"]

    @property
    def status(self) -> int:
        return int(self.response["status"])


def recorded_steps() -> list[RecordedStep]:
    """Return every step of the corpus that was sent while recording (skipped steps left out)."""
    steps = []
    for path in scenario_paths():
        scenario = load_scenario(path)
        for step in scenario["steps"]:
            if "request" in step and "response" in step:
                steps.append(RecordedStep(scenario["name"], step["index"], step))
    return steps


def model_for_path(path: str) -> tuple[type[Model], str | None] | None:
    """Return the model of ``/service/resource[/id]`` from the models' declarations, and the id, or ``None``."""
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) not in (2, 3):
        return None
    service, resource = segments[0], segments[1]
    for model in RESOURCES:
        meta = model._meta
        if meta.service == service and meta.path == resource:
            return model, segments[2] if len(segments) == 3 else None
    return None


def wire_fields(model: type[Model]) -> dict[str, str]:
    """Return ``{wire name: attribute name}`` of every declared field of ``model``."""
    return {model._meta.wire_name(name): name for name in model.model_fields}


def wire_relations(model: type[Model]) -> dict[str, Relation]:
    """Return ``{wire name: relation}`` of every forward relation of ``model``."""
    return {relation.wire_name: relation for relation in model._meta.relations.values()}


def encoded_pairs(query_string: str) -> list[str]:
    """Return the ``key=value`` parts of a query string, still percent-encoded."""
    return [part for part in query_string.split("&") if part]


def decoded_pairs(query_string: str) -> list[tuple[str, str]]:
    """Return the decoded ``(key, value)`` pairs of a query string, in order."""
    pairs = []
    for part in encoded_pairs(query_string):
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def iter_records(body: Any) -> Iterator[dict[str, Any]]:
    """Yield the records of a ``{data, meta}`` body: the list items, or the one object."""
    if not isinstance(body, dict):
        return
    data = body.get("data")
    if isinstance(data, list):
        yield from (item for item in data if isinstance(item, dict))
    elif isinstance(data, dict):
        yield data


def error_content(body: Any) -> bytes | None:
    """Return the bytes of a recorded error body, or ``None`` for a binary body the corpus kept no bytes of."""
    if isinstance(body, dict) and body.get("_empty"):
        return b""
    if isinstance(body, dict) and "_text" in body:
        return str(body["_text"]).encode()
    if isinstance(body, dict) and body.get("_binary"):
        return None
    return json.dumps(body).encode()


# -- recorded queries as QuerySet calls -------------------------------------------------------------


class NotExpressible(Exception):
    """The recorded query uses a form for which the QuerySet API has no call at all."""


def _lookup_of(value: str) -> tuple[bool, str, str]:
    """Split a bracket-filter value into ``(negated, lookup, operand)``, as the Hub reads it."""
    negate = value.startswith("!")
    if negate:
        value = value[1:]
    if value == "null":
        return negate, "isnull", ""
    for prefix, lookup in (("<=", "lte"), (">=", "gte"), ("<", "lt"), (">", "gt")):
        if value.startswith(prefix):
            return negate, lookup, value[len(prefix) :]
    if len(value) > 1 and value.startswith("~") and value.endswith("~"):
        return negate, "contains", value[1:-1]
    if value.endswith("~"):
        return negate, "startswith", value[:-1]
    if value.startswith("~"):
        return negate, "endswith", value[1:]
    if "," in value:
        return negate, "in", value
    return negate, "exact", value


def _python_value(model: type[Model], name: str, lookup: str, text: str) -> Any:
    """Return the Python value a caller would pass for the wire text ``text`` of field ``name``."""
    if lookup == "isnull":
        return True
    if lookup == "in":
        return [_python_value(model, name, "exact", item) for item in text.split(",")]
    kind = model._meta.kinds.get(name)
    if kind == "bool" and text in ("true", "false"):
        return text == "true"
    if kind == "int" and text.lstrip("-").isdigit():
        return int(text)
    return text


def _apply_filter(queryset: Any, model: type[Model], wire: str, value: str) -> Any:
    wires = wire_fields(model)
    if wire not in wires and wire in model.model_fields:
        raise NotExpressible(f"filter[{wire}] spells the field in snake_case; the ORM always sends the camelCase name.")
    name = wires.get(wire, wire)
    negate, lookup, operand = _lookup_of(value)
    python_value = _python_value(model, name, lookup, operand)
    if lookup == "isnull" and negate:
        return queryset.filter(**{f"{name}__isnull": False})
    key = name if lookup == "exact" else f"{name}__{lookup}"
    if negate:
        return queryset.exclude(**{key: python_value})
    return queryset.filter(**{key: python_value})


def _page_number(text: str) -> Any:
    """Return the page parameter as a caller would slice with it: an int when it is one, else as written."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def build_queryset(model: type[Model], record_id: str | None, pairs: list[tuple[str, str]], session: Any) -> Any:
    """Rebuild the recorded query ``pairs`` of a list, or of the record ``record_id``, with QuerySet calls on ``model``.

    Raises ``NotExpressible`` for forms the QuerySet API has no call for, and lets the
    ``ValueError`` or ``TypeError`` of a call the ORM rejects propagate.
    """
    queryset = model.objects.using(session)
    limit: Any = None
    offset: Any = None
    wires = wire_fields(model)
    relations = wire_relations(model)

    for key, value in pairs:
        if record_id is not None and key.startswith(("filter", "sort", "page")):
            raise NotExpressible(f"{key}= on a record GET: get(id) reads one record and sends no list parameters.")
        if key.startswith("filter[") and key.endswith("]"):
            queryset = _apply_filter(queryset, model, key[len("filter[") : -1], value)
        elif key == "sort":
            keys = []
            for item in value.split(","):
                descending = item.startswith("-")
                wire = item.lstrip("-")
                keys.append(("-" if descending else "") + wires.get(wire, wire))
            queryset = queryset.order_by(*keys)
        elif key == "include":
            names = [relations[wire].name if wire in relations else wire for wire in value.split(",")]
            queryset = queryset.include(*names)
        elif key == "fields":
            items = value.split(",")
            if not all(item.startswith("+") for item in items):
                raise NotExpressible("fields= without '+' selects columns; the QuerySet API loads every field.")
            queryset = queryset.fields(*(wires.get(item[1:], item[1:]) for item in items))
        elif key == "page[limit]":
            limit = _page_number(value)
        elif key == "page[offset]":
            offset = _page_number(value)
        else:
            raise NotExpressible(f"{key}= is not the Hub's bracket syntax, which is the only one the ORM sends.")

    if limit == 0:
        raise NotExpressible("an empty slice returns no rows and sends no request.")
    if isinstance(limit, int) and isinstance(offset, (int, type(None))):
        start = offset or 0
        queryset = queryset[start : start + limit]
    elif limit is None and isinstance(offset, int):
        queryset = queryset[offset:]
    elif limit is not None or offset is not None:
        # A page value that is not an integer goes into the slice as written: the ORM has to reject it.
        queryset = queryset[offset:limit]
    return queryset
