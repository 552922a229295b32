"""Per-resource query schemas of the fake Hub and the ``meta.schema`` descriptions built from them."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Page size used when a request gives none, and the clamp for larger ones, in every Hub and Authup schema.
MAX_LIMIT = 50


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


def resolve_relation_path(path: str, schema: ResourceSchema, schemas: SchemaRegistry) -> ResourceSchema | None:
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


def filter_key_allowed(key: str, schema: ResourceSchema, schemas: SchemaRegistry) -> bool:
    # NOTE: Authup declares its filters as indexed ("anchor"); this check ignores indexes and uses the allow-list only.
    relation, dot, name = key.rpartition(".")
    if not dot:
        if schema.filters is None:
            return not schema.strict
        return key in schema.filters
    related = resolve_relation_path(relation, schema, schemas)
    if related is None:
        return False
    if related.filters is None:
        return not related.strict
    return name in related.filters
