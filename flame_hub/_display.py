"""Representations of models and QuerySets for consoles, IPython and Jupyter, built without sending requests.

Everything here reads only what is already in memory: unloaded relations and unevaluated
QuerySets are described, never fetched, and secret fields never appear.
"""

from __future__ import annotations

import datetime as dt
import html
import sys
from collections.abc import Iterator
from enum import Enum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from flame_hub._queryset import QuerySet
    from flame_hub.models._base import Model

__all__ = [
    "MAX_ROWS",
    "during_completion",
    "model_dir",
    "model_html",
    "model_pretty",
    "queryset_html",
    "queryset_pretty",
    "queryset_repr",
]

# Rows an evaluated QuerySet shows in its repr and displays before "…".
MAX_ROWS = 20

# Width of one value in a field table; longer values end in "…".
MAX_VALUE_WIDTH = 80

SECRET_TEXT = "<hidden>"

# Modules whose frames on the stack mean that an attribute is read for tab completion.
_COMPLETION_MODULES = ("jedi", "parso", "IPython.core.completer", "IPython.core.guarded_eval", "rlcompleter")

# Pydantic methods that make sense on a loaded record; its class-level constructors and
# deprecated v1 names stay out of completion lists.
_PYDANTIC_INSTANCE_NAMES = ("model_copy", "model_dump", "model_dump_json", "model_extra", "model_fields_set")

# Public class attributes that are no use on an instance: the Manager raises there.
_CLASS_ONLY_NAMES = frozenset({"objects", "Meta"})


def during_completion() -> bool:
    """Return whether the current call comes from IPython's or jedi's completer (or ``rlcompleter``).

    Completers read attributes to list what follows a dot; an unloaded relation must not send a
    request for that, so the model raises ``RelationNotLoaded`` instead.
    """
    if not any(name in sys.modules for name in ("jedi", "IPython", "rlcompleter")):
        return False

    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if isinstance(module, str) and module.startswith(_COMPLETION_MODULES):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


# --- values ---------------------------------------------------------------------------------------


def _format_value(value: Any, width: int = MAX_VALUE_WIDTH) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, dt.datetime):
        text = value.isoformat().replace("+00:00", "Z")
    else:
        text = repr(value)
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _field_rows(obj: Model) -> Iterator[tuple[str, str]]:
    """Yield ``(name, text)`` for every field, with secrets masked and relations described without loading."""
    cls = type(obj)
    meta = cls._meta
    values = obj.__dict__
    fields_set = obj.model_fields_set

    for name in cls.model_fields:
        value = values.get(name)
        if name in meta.secret:
            if value is not None:
                yield name, SECRET_TEXT
            continue
        if value is None and name not in fields_set and name in meta.hidden:
            yield name, "(not loaded; request it with fields())"
            continue
        yield name, _format_value(value)

    for name, relation in meta.relations.items():
        yield name, _describe_relation(obj, name, relation.field, relation.target_name)
    for name, reverse in meta.reverse.items():
        yield name, f"QuerySet of {reverse.target_name} (query it to load)"


def _describe_relation(obj: Model, name: str, field: str, target: str) -> str:
    related_id = obj.__dict__.get(field)
    private = getattr(obj, "__pydantic_private__", None) or {}
    loaded = private.get("_related", {})

    if name in loaded and (loaded[name] is None or loaded[name].id == related_id):
        return repr(loaded[name])
    if related_id is None:
        return "None"
    return f"{target} {related_id} (not loaded)"


def _state(obj: Model) -> str:
    private = getattr(obj, "__pydantic_private__", None) or {}
    if private.get("_deleted"):
        return "deleted"
    if not private.get("_persisted"):
        return "unsaved"
    changed = obj.changed_fields()
    if changed:
        return f"modified: {', '.join(changed)}"
    return "saved"


# --- models ---------------------------------------------------------------------------------------


def model_pretty(obj: Model, printer: Any, cycle: bool) -> None:
    """Print ``obj`` for IPython: its one-line repr, then one field per line."""
    printer.text(repr(obj))
    if cycle:
        return

    rows = list(_field_rows(obj))
    width = max((len(name) for name, _ in rows), default=0)
    for name, text in rows:
        printer.break_()
        printer.text(f"  {name.ljust(width)}  {text}")


def model_html(obj: Model) -> str:
    """Return an HTML table of ``obj``'s fields for Jupyter."""
    title = f"{type(obj).__name__} ({_state(obj)})"
    body = "".join(
        f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
        f"<td style='text-align:left'><code>{html.escape(text)}</code></td></tr>"
        for name, text in _field_rows(obj)
    )
    return f"<table><caption style='text-align:left'><b>{html.escape(title)}</b></caption>{body}</table>"


def model_dir(obj: Model, default: list[str]) -> list[str]:
    """Return the names for ``dir(obj)``: fields, relations and public methods, plus the private names."""
    cls = type(obj)
    meta = cls._meta
    names = set(cls.model_fields) | set(meta.relations) | set(meta.reverse)
    names.update(_PYDANTIC_INSTANCE_NAMES)

    for klass in cls.__mro__:
        if klass is BaseModel or not issubclass(klass, BaseModel):
            continue
        names.update(name for name in vars(klass) if not name.startswith("_"))
    # Methods such as save() of a read-only resource are absent, so they are not listed.
    names -= {name for name in ("save", "delete", "refresh") if not hasattr(obj, name)}
    names.update(("DoesNotExist", "MultipleObjectsReturned"))
    names -= _CLASS_ONLY_NAMES
    # model_config and model_fields come from the class dict, but are class-level settings.
    names -= {"model_config", "model_fields", "model_computed_fields"}

    names.update(name for name in default if name.startswith("_"))
    return sorted(names)


# --- QuerySets ------------------------------------------------------------------------------------


def _cached_rows(queryset: QuerySet[Any]) -> list[Any] | None:
    return queryset._result_cache


def queryset_repr(queryset: QuerySet[Any], query: str) -> str:
    """Return the repr of ``queryset`` from its query text, with up to ``MAX_ROWS`` rows once evaluated."""
    rows = _cached_rows(queryset)
    if rows is None:
        return f"<{query}>"

    shown = [repr(row) for row in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        shown.append("…")
    return f"<{query} [{', '.join(shown)}]>"


def queryset_pretty(queryset: QuerySet[Any], query: str, printer: Any, cycle: bool) -> None:
    """Print ``queryset`` for IPython: the query, then one row per line once evaluated."""
    rows = _cached_rows(queryset)
    if rows is None or cycle:
        printer.text(f"<{query}> (not evaluated: iterate it or call list() to send the query)")
        return

    printer.text(f"<{query}> ({_count_text(len(rows), queryset._hub_total)})")
    for row in rows[:MAX_ROWS]:
        printer.break_()
        printer.text(f"  {row!r}")
    if len(rows) > MAX_ROWS:
        printer.break_()
        printer.text(f"  … {len(rows) - MAX_ROWS} more")


def queryset_html(queryset: QuerySet[Any], query: str) -> str:
    """Return an HTML table of an evaluated ``queryset`` (one row per object), or its query when unevaluated."""
    rows = _cached_rows(queryset)
    caption = html.escape(f"<{query}>")
    if rows is None:
        return f"<p><code>{caption}</code> (not evaluated: iterate it or call list() to send the query)</p>"

    meta = queryset.model._meta
    columns = [name for name in meta.repr_fields if name not in meta.secret]
    header = "".join(f"<th style='text-align:left'>{html.escape(name)}</th>" for name in columns)
    lines = []
    for row in rows[:MAX_ROWS]:
        cells = "".join(
            f"<td style='text-align:left'>{html.escape(_format_value(row.__dict__.get(name)))}</td>" for name in columns
        )
        lines.append(f"<tr>{cells}</tr>")
    if len(rows) > MAX_ROWS:
        lines.append(f"<tr><td colspan='{len(columns)}'>… {len(rows) - MAX_ROWS} more</td></tr>")

    caption_text = f"<code>{caption}</code> ({_count_text(len(rows), queryset._hub_total)})"
    return (
        f"<table><caption style='text-align:left'>{caption_text}</caption>"
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    )


def _count_text(loaded: int, hub_total: int | None) -> str:
    """Describe how many rows were loaded, how many are shown, and how many the Hub has when that differs."""
    text = "1 row" if loaded == 1 else f"{loaded} rows"
    if hub_total is not None and hub_total > loaded:
        text += f" of {hub_total} on the Hub"
    if loaded > MAX_ROWS:
        text += f", showing the first {MAX_ROWS}"
    return text
