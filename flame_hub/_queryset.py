"""Lazy, chainable queries over one Hub resource (``QuerySet``) and the per-model entry point (``Manager``).

A ``QuerySet`` sends nothing until it is evaluated (iterated, sliced with an index, counted,
``len()``-ed or asked for one object). Lists are read in pages of at most 50 rows, the Hub's
maximum, advancing by the rows received until ``meta.total`` is reached. With read-ahead, the
rows of one page are turned into objects while the request for the next page waits for the Hub.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from flame_hub import _display, _progress, errors
from flame_hub._lookups import FilterCondition, build_filter, check_id
from flame_hub._transport import CLOSED_MESSAGE
from flame_hub.models._base import Model, _unwrap

if TYPE_CHECKING:
    from flame_hub.models._base import Relation

logger = logging.getLogger(__name__)

__all__ = ["PAGE_SIZE", "Manager", "QuerySet"]

# The Hub (core, storage and Authup) clamps every page to 50 rows.
PAGE_SIZE = 50

M = TypeVar("M", bound=Model)


class QuerySet(Generic[M]):
    """A lazy query of one resource; chainable methods return a new ``QuerySet``."""

    def __init__(self, model: type[M], session: Any = None) -> None:
        self.model = model
        self._session = session
        self._conditions: list[FilterCondition] = []
        self._order: list[str] = []
        self._includes: list[str] = []
        self._prefetch: list[str] = []
        self._extra_fields: list[str] = []
        self._low = 0
        self._high: int | None = None
        self._calls: list[str] = []
        self._result_cache: list[M] | None = None
        # meta.total of the last page read: the rows matching the filters, before any slice.
        self._hub_total: int | None = None

    # --- magic methods ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return _display.queryset_repr(self, self._describe_query())

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Print the query for IPython, and one row per line once evaluated; sends no request."""
        _display.queryset_pretty(self, self._describe_query(), printer, cycle)

    def _repr_html_(self) -> str:
        """Return the rows as an HTML table for Jupyter once evaluated, else the query; sends no request."""
        return _display.queryset_html(self, self._describe_query())

    def __iter__(self) -> Iterator[M]:
        self._fetch_all()
        assert self._result_cache is not None
        return iter(self._result_cache)

    def __len__(self) -> int:
        self._fetch_all()
        assert self._result_cache is not None
        return len(self._result_cache)

    def __bool__(self) -> bool:
        if self._result_cache is not None:
            return bool(self._result_cache)
        return self.exists()

    def __getitem__(self, key: int | slice) -> Any:
        if isinstance(key, slice):
            if key.step is not None:
                raise ValueError("Slicing a QuerySet with a step is not supported.")
            for bound in (key.start, key.stop):
                # The bounds become page[limit] and page[offset], which the Hub reads as integers only.
                if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
                    raise TypeError(f"QuerySet slice bounds must be integers or None, got {bound!r}.")
            if (key.start is not None and key.start < 0) or (key.stop is not None and key.stop < 0):
                raise ValueError("Negative indexing is not supported.")
            if self._result_cache is not None:
                return self._result_cache[key]

            clone = self._clone()
            clone._set_limits(key.start, key.stop)
            return clone

        if not isinstance(key, int) or isinstance(key, bool):
            raise TypeError(f"QuerySet indices must be integers or slices, not {type(key).__name__}.")
        if key < 0:
            raise ValueError("Negative indexing is not supported.")
        if self._result_cache is not None:
            return self._result_cache[key]

        clone = self._clone()
        clone._set_limits(key, key + 1)
        rows = list(clone)
        if not rows:
            raise IndexError(f"QuerySet index {key} is out of range.")
        return rows[0]

    # --- methods that send requests ---------------------------------------------------------------

    def get(self, *args: Any, **kwargs: Any) -> M:
        """Return the one object matching ``id`` or the filters; raise ``DoesNotExist`` or ``MultipleObjectsReturned``.

        ``get(id=...)`` alone reads ``GET {path}/{id}`` and returns the identity map's object without
        a request while it is fresh (see the session's ``cache_ttl``).
        """
        if args:
            if len(args) > 1 or kwargs:
                raise TypeError("get() takes one id, or keyword filters, not both.")
            kwargs = {"id": args[0]}

        meta = self.model._meta
        if set(kwargs) == {"id"} and not self._conditions and meta.supports("get"):
            return self._get_by_id(kwargs["id"])

        clone = self.filter(**kwargs) if kwargs else self._clone()
        if clone._high is None or clone._high - clone._low > 2:
            clone._set_limits(clone._low, clone._low + 2)
        rows = list(clone)
        if not rows:
            raise self.model.DoesNotExist(
                f"No {self.model.__name__} matches <{clone._describe_query()}>.", status_code=404
            )
        if len(rows) > 1:
            raise self.model.MultipleObjectsReturned(
                f"get() found several {self.model._meta.plural} for <{clone._describe_query()}>; "
                "add filters or use first()."
            )
        return rows[0]

    def get_or_none(self, *args: Any, **kwargs: Any) -> M | None:
        """Return the one matching object, or ``None`` when there is none."""
        try:
            return self.get(*args, **kwargs)
        except self.model.DoesNotExist:
            return None

    def first(self) -> M | None:
        """Return the first object (ordered by id when no order is set and ids are sortable), or ``None``."""
        queryset = self
        if not self._order and "id" in self.model._meta.sorts:
            queryset = self.order_by("id")
        rows = list(queryset[:1])
        return rows[0] if rows else None

    def last(self) -> M | None:
        """Return the last object of the order, or ``None``."""
        id_sortable = "id" in self.model._meta.sorts and self.model._meta.service != "auth"
        if self._order or id_sortable:
            order = list(self._order)
            if id_sortable and not any(key.lstrip("-") == "id" for key in order):
                # Reverse the tie-break as well, so that last() is the final row of iteration.
                order.append("id")
            reversed_order = [key[1:] if key.startswith("-") else "-" + key for key in order]
            rows = list(self._clone_with(order=reversed_order)[:1])
            return rows[0] if rows else None

        # Without a sortable key the last row is found by its position.
        total = self.count()
        if total == 0:
            return None
        return self[total - 1]

    def count(self) -> int:
        """Return the number of matching rows, from ``meta.total`` of a one-row page.

        Like Django's, a QuerySet that was already evaluated returns the number of its cached
        rows and sends no request; use a new QuerySet (``qs.all().count()``) for a fresh count.
        """
        if self._result_cache is not None:
            return len(self._result_cache)

        body = self._request_page(limit=1, offset=0, for_count=True)
        total = int(body.get("meta", {}).get("total", 0))
        total = max(total - self._low, 0)
        if self._high is not None:
            total = min(total, self._high - self._low)
        return total

    def exists(self) -> bool:
        """Return whether at least one row matches."""
        return self.count() > 0

    def values(self, *fields: str) -> list[dict[str, Any]]:
        """Return the rows as dicts of ``fields`` (all fields when none are named)."""
        names = self._check_field_names(fields)
        return [{name: getattr(obj, name) for name in names} for obj in self]

    def values_list(self, *fields: str, flat: bool = False) -> list[Any]:
        """Return the rows as tuples of ``fields``, or single values with ``flat=True`` and one field."""
        if flat and len(fields) != 1:
            raise TypeError("values_list(flat=True) takes exactly one field name.")
        names = self._check_field_names(fields)
        if flat:
            return [getattr(obj, names[0]) for obj in self]
        return [tuple(getattr(obj, name) for name in names) for obj in self]

    def in_bulk(self, ids: Iterable[Any]) -> dict[str, M]:
        """Return ``{id: object}`` for the given ids (model objects, ``uuid.UUID`` or strings), in batches of 50."""
        id_list = list(dict.fromkeys(check_id(value, what="in_bulk() id") for value in ids))
        found: dict[str, M] = {}
        if "id" not in self.model._meta.filters:
            # The Hub cannot list these records by id, so each one is read on its own.
            for record_id in id_list:
                obj = self.get_or_none(id=record_id)
                if obj is not None:
                    found[record_id] = obj
            return found

        for start in range(0, len(id_list), PAGE_SIZE):
            batch = id_list[start : start + PAGE_SIZE]
            for obj in self.filter(id__in=batch):
                found[str(obj.id)] = obj
        return found

    def create(self, **kwargs: Any) -> M:
        """Create and return a new object (POST ``{path}``)."""
        obj = self.model(**kwargs)
        obj.save(using=self._get_session())
        return obj

    def get_or_create(self, defaults: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[M, bool]:
        """Return ``(object, created)``: the object matching ``kwargs``, else a new one with ``defaults``.

        A 409 Conflict on create (another client created it first) is resolved by looking it up again.
        """
        try:
            return self.get(**kwargs), False
        except self.model.DoesNotExist:
            pass

        params = self._create_params(kwargs, defaults)
        try:
            return self.create(**params), True
        except errors.Conflict:
            return self.get(**kwargs), False

    def update_or_create(self, defaults: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[M, bool]:
        """Return ``(object, created)``: the object matching ``kwargs`` updated with ``defaults``, or a new one."""
        obj, created = self.get_or_create(defaults=defaults, **kwargs)
        if created or not defaults:
            return obj, created

        for name, value in defaults.items():
            setattr(obj, name, value)
        obj.save()
        return obj, False

    def update(self, *, progress: bool | None = None, **kwargs: Any) -> int:
        """Set ``kwargs`` on every matching object and save each one (one request per row); return the count.

        The matching rows are read first, so rows the update moves out of the filter are still
        updated exactly once. ``progress`` shows a bar (``None``: in terminals and notebooks).
        """
        self.model._meta.require("update")
        rows = list(self._clone())
        names = list(kwargs)
        description = f"Updating {self.model._meta.plural}"
        for obj in _progress.track(rows, description=description, unit="row", progress=progress):
            for name, value in kwargs.items():
                setattr(obj, name, value)
            obj.save(update_fields=names)
        return len(rows)

    def delete(self) -> int:
        """Delete every matching object (one request per row, ids read first); return the count."""
        self.model._meta.require("delete")
        rows = list(self._clone())
        for obj in rows:
            obj.delete()
        return len(rows)

    def iterator(self, *, progress: bool | None = None) -> Iterator[M]:
        """Yield matching objects page by page without caching them in the QuerySet.

        ``progress`` shows a bar (``None``: in terminals and notebooks). It counts rows without a
        total unless the QuerySet is sliced, because the total is known only after the first page.
        """
        total = None if self._high is None else self._high - self._low
        description = f"Reading {self.model._meta.plural}"
        rows = self._iter_rows()
        yield from _progress.track(rows, total=total, description=description, unit="row", progress=progress)

    # --- methods that return a new QuerySet -------------------------------------------------------

    def all(self) -> QuerySet[M]:
        """Return a copy of this QuerySet."""
        return self._clone()

    def filter(self, **kwargs: Any) -> QuerySet[M]:
        """Return a new QuerySet with the lookups added (AND), such as ``name__startswith="lab-"``.

        A lookup is ``field`` or ``field__LOOKUP``, with LOOKUP one of exact, ne, in, lt, lte, gt,
        gte, contains, startswith, endswith and isnull. A relation (``realm=realm``) filters by its id.
        """
        return self._add_conditions(kwargs, negate=False, call="filter")

    def exclude(self, **kwargs: Any) -> QuerySet[M]:
        """Return a new QuerySet without rows matching the lookups (``exclude(hidden=True)`` sends ``!true``)."""
        return self._add_conditions(kwargs, negate=True, call="exclude")

    def order_by(self, *keys: str) -> QuerySet[M]:
        """Return a new QuerySet sorted by ``keys`` (a leading ``-`` sorts descending); replaces earlier orders."""
        meta = self.model._meta
        for key in keys:
            name = key[1:] if key.startswith("-") else key
            if name not in meta.sorts:
                allowed = ", ".join(meta.sorts) or "none"
                raise ValueError(
                    f"{self.model.__name__} cannot be sorted by {name!r}: the Hub ignores that sort. "
                    f"Sortable fields: {allowed}."
                )
        clone = self._clone()
        clone._order = list(keys)
        clone._calls.append(f"order_by({', '.join(repr(key) for key in keys)})")
        return clone

    def include(self, *relations: str) -> QuerySet[M]:
        """Return a new QuerySet whose rows come with the named relations embedded by the Hub."""
        meta = self.model._meta
        for name in relations:
            if name not in meta.includes:
                allowed = ", ".join(meta.includes) or "none"
                raise ValueError(
                    f"The Hub cannot include {name!r} with {meta.plural}; includable relations: {allowed}. "
                    "Use prefetch() for relations in other services."
                )
        clone = self._clone()
        clone._includes.extend(name for name in relations if name not in clone._includes)
        clone._calls.append(f"include({', '.join(repr(name) for name in relations)})")
        return clone

    def prefetch(self, *relations: str) -> QuerySet[M]:
        """Return a new QuerySet that loads the named forward relations with one request per relation and page."""
        meta = self.model._meta
        for name in relations:
            if name not in meta.relations:
                raise ValueError(
                    f"{self.model.__name__} has no relation {name!r}; relations: {', '.join(meta.relations) or 'none'}."
                )
        clone = self._clone()
        clone._prefetch.extend(name for name in relations if name not in clone._prefetch)
        clone._calls.append(f"prefetch({', '.join(repr(name) for name in relations)})")
        return clone

    def fields(self, *names: str) -> QuerySet[M]:
        """Return a new QuerySet that also loads the hidden fields ``names`` (sent as ``fields=+name``)."""
        meta = self.model._meta
        for name in names:
            if name not in meta.hidden:
                raise ValueError(
                    f"{self.model.__name__}.{name} is not a hidden field; hidden fields: "
                    f"{', '.join(sorted(meta.hidden)) or 'none'}. Other fields are always loaded."
                )
        clone = self._clone()
        clone._extra_fields.extend(name for name in names if name not in clone._extra_fields)
        clone._calls.append(f"fields({', '.join(repr(name) for name in names)})")
        return clone

    def using(self, session: Any) -> QuerySet[M]:
        """Return a new QuerySet that sends its requests through ``session``."""
        clone = self._clone()
        clone._session = session
        return clone

    # --- private helpers ---------------------------------------------------------------------------

    def _describe_query(self) -> str:
        """Return the query as text, ``QuerySet Node filter(name='lab-1') [0:5]``; the repr adds loaded rows."""
        calls = " ".join(self._calls)
        if self._low or self._high is not None:
            calls = f"{calls} [{self._low or ''}:{'' if self._high is None else self._high}]".strip()
        return f"QuerySet {self.model.__name__}{' ' + calls if calls else ''}"

    def _clone(self) -> QuerySet[M]:
        clone = type(self)(self.model, self._session)
        clone._conditions = list(self._conditions)
        clone._order = list(self._order)
        clone._includes = list(self._includes)
        clone._prefetch = list(self._prefetch)
        clone._extra_fields = list(self._extra_fields)
        clone._low = self._low
        clone._high = self._high
        clone._calls = list(self._calls)
        return clone

    def _clone_with(self, *, order: list[str]) -> QuerySet[M]:
        clone = self._clone()
        clone._order = order
        return clone

    def _set_limits(self, start: int | None, stop: int | None) -> None:
        # Offsets are relative to the current slice, as in Python and Django.
        if stop is not None:
            self._high = min(self._high, self._low + stop) if self._high is not None else self._low + stop
        if start is not None:
            self._low = min(self._low + start, self._high) if self._high is not None else self._low + start

    def _add_conditions(self, kwargs: Mapping[str, Any], *, negate: bool, call: str) -> QuerySet[M]:
        if self._low or self._high is not None:
            raise TypeError("Cannot filter a query once a slice has been taken.")

        meta = self.model._meta
        conditions = [build_filter(meta, key, value, negate=negate) for key, value in kwargs.items()]
        clone = self._clone()
        for condition in conditions:
            existing = next((each for each in clone._conditions if each.key == condition.key), None)
            if existing is not None:
                field = condition.text.split("=", 1)[0].split("__", 1)[0]
                if {existing.lookup, condition.lookup} <= {"exact", "in"}:
                    advice = f"Combine them into one lookup, for example {field}__in=[...]."
                else:
                    advice = "Keep one of them and check the other in Python on the rows that come back."
                raise ValueError(
                    f"{condition.key} is already filtered, and the bracket syntax has one key per field. {advice}"
                )
            clone._conditions.append(condition)
        if kwargs:
            clone._calls.append(f"{call}({', '.join(condition.text for condition in conditions)})")
        return clone

    def _get_session(self) -> Any:
        if self._session is not None:
            return self._session
        from flame_hub._session import get_default_session

        return get_default_session()

    def _common_params(self) -> list[tuple[str, str]]:
        meta = self.model._meta
        params: list[tuple[str, str]] = []
        if self._includes:
            params.append(("include", ",".join(meta.wire_name(name) for name in self._includes)))
        if self._extra_fields:
            params.append(("fields", ",".join("+" + meta.wire_name(name) for name in self._extra_fields)))
        return params

    def _sort_param(self) -> str | None:
        meta = self.model._meta
        keys = list(self._order)
        names = {key.lstrip("-") for key in keys}
        # A tie-break on id keeps pages stable. Authup drops a multi-key sort that is not a
        # prefix of one of its indexes, so its resources are left in the order asked for.
        if "id" in meta.sorts and "id" not in names and meta.service != "auth":
            keys.append("id")
        # NOTE: nodes, analyses and the other resources the Hub cannot sort by id get no tie-break.
        # Their rows with equal sort keys (all rows, without order_by()) come in the database's
        # order, which the Hub does not promise to keep between two page requests. Deduplication
        # by id prevents repeats, but a row could then be missed.
        if not keys:
            return None
        return ",".join(("-" if key.startswith("-") else "") + meta.wire_name(key.lstrip("-")) for key in keys)

    def _check_listable(self) -> None:
        """Raise before any request when the Hub cannot list these rows: no list route or a filter missing."""
        meta = self.model._meta
        meta.require("list")
        missing = [name for name in meta.required_filters if not self._has_condition(name)]
        if missing:
            raise ValueError(
                f"The Hub lists {meta.plural} only with an equality filter on {', '.join(missing)}; "
                f"add filter({missing[0]}=...)."
            )

    def _list_params(self, *, limit: int, offset: int, for_count: bool = False) -> list[tuple[str, str]]:
        self._check_listable()
        params = [(condition.key, condition.value) for condition in self._conditions]
        if not for_count:
            sort = self._sort_param()
            if sort:
                params.append(("sort", sort))
            params.extend(self._common_params())
        params.append(("page[limit]", str(limit)))
        params.append(("page[offset]", str(offset)))
        return params

    def _has_condition(self, name: str) -> bool:
        wire = self.model._meta.wire_name(name)
        return any(
            c.wire_field == wire and c.lookup == "exact" and not c.value.startswith("!") for c in self._conditions
        )

    def _request_page(
        self,
        *,
        limit: int,
        offset: int,
        for_count: bool = False,
        session: Any = None,
        while_waiting: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        meta = self.model._meta
        params = self._list_params(limit=limit, offset=offset, for_count=for_count)
        if session is None:
            session = self._get_session()
        body = session.request_json(meta.service, "GET", meta.path, params=params, while_waiting=while_waiting)
        if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
            raise errors.HubError(f"GET {meta.path} returned a body that is not a list: {body!r:.200}.")
        return dict(body)

    def _iter_rows(self, *, to_the_end: bool = False) -> Iterator[M]:
        """Yield the matching objects, each id once.

        ``to_the_end`` promises that the caller reads every row before it uses any, as ``list()``
        does. Rows that the identity map's cache would evict before the last row arrives are then
        not put into that cache at all.
        """
        # Checked before the Session is looked up, so that a resource without a list route raises that error first.
        self._check_listable()
        session = self._get_session()
        seen: set[str] = set()
        pages = self._pages(session)
        cache_size = session.identity_map.maxsize
        received = 0

        def build(body: dict[str, Any]) -> list[M]:
            nonlocal received
            # A closed Session's identity map stays empty, so a page not yet built at the close is dropped.
            if session.is_closed:
                raise errors.HubError(CLOSED_MESSAGE)
            rows = body["data"]
            received += len(rows)
            total = body.get("meta", {}).get("total")
            cache = True
            if total is not None:
                self._hub_total = int(total)
                end = self._hub_total if self._high is None else min(self._hub_total, self._high)
                # Keep a margin of one page, because rows skipped as repeats insert nothing.
                cache = not to_the_end or end - (self._low + received) < cache_size + PAGE_SIZE
            return [self.model._from_hub(row, session, cache=cache) for row in rows]

        try:
            body = next(pages, None)
            while body is not None:
                error = None
                if session.read_ahead:
                    objects, following, error = _build_during_next_request(pages, body, build)
                else:
                    objects, following = build(body), _NOT_REQUESTED
                self._prefetch_relations(objects, session)

                for obj in objects:
                    key = str(obj.id) if obj.id is not None else None
                    if key is not None:
                        if key in seen:
                            continue
                        seen.add(key)
                    yield obj
                # The next page's error is raised once the rows before it are used.
                if error is not None:
                    raise error
                body = next(pages, None) if following is _NOT_REQUESTED else following
        finally:
            pages.close()

    def _pages(self, session: Any) -> Generator[dict[str, Any], Callable[[], None] | None, None]:
        """Request the pages this QuerySet covers one after the other and yield their bodies.

        A function sent into the generator runs while the request for the next page waits.
        """
        offset = self._low
        remaining = None if self._high is None else self._high - self._low
        while_waiting = None

        while remaining is None or remaining > 0:
            limit = PAGE_SIZE if remaining is None else min(PAGE_SIZE, remaining)
            body = self._request_page(limit=limit, offset=offset, session=session, while_waiting=while_waiting)
            while_waiting = yield body

            # NOTE: offsets shift when others delete rows between two pages, so a row can then be
            # missed. Rows that shift into a page already read are skipped by id in _iter_rows().
            rows = body["data"]
            offset += len(rows)
            if remaining is not None:
                remaining -= len(rows)
            total = body.get("meta", {}).get("total")
            if not rows or (total is not None and offset >= int(total)):
                return

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._result_cache = list(self._iter_rows(to_the_end=True))

    def _get_by_id(self, value: Any) -> M:
        meta = self.model._meta
        record_id = check_id(value, what=f"{self.model.__name__} id")
        session = self._get_session()

        known = session.identity_map.get(self.model, record_id)
        loaded_all = known is not None and all(name in known._related for name in self._includes)
        if known is not None and loaded_all and not self._extra_fields and session.identity_map.is_fresh(known):
            return known  # type: ignore[no-any-return]

        try:
            body = session.request_json(
                meta.service, "GET", f"{meta.path}/{record_id}", params=self._common_params() or None
            )
        except errors.NotFound as exc:
            # Only the Hub's answer for a missing record means that it does not exist. Other 404s
            # (an unknown route behind a proxy, an unknown signing key) stay errors.
            if exc.code != "entity_not_found":
                raise
            raise self.model.DoesNotExist(
                f"No {self.model.__name__} with id {record_id!r}.",
                status_code=404,
                code=exc.code,
                request=exc.request,
                response=exc.response,
            ) from exc
        obj = self.model._from_hub(_unwrap(body), session)
        self._prefetch_relations([obj], session)
        return obj

    def _prefetch_relations(self, objects: list[M], session: Any) -> None:
        for name in self._prefetch:
            relation: Relation = self.model._meta.relations[name]
            self._prefetch_relation(relation, objects, session)

    def _prefetch_relation(self, relation: Relation, objects: list[M], session: Any) -> None:
        target = relation.target
        pending: dict[str, list[M]] = {}
        for obj in objects:
            related_id = obj.__dict__.get(relation.field)
            if related_id is None:
                obj._related[relation.name] = None
                continue
            known = session.identity_map.get(target, related_id)
            if known is not None and session.identity_map.is_fresh(known):
                obj._related[relation.name] = known
                continue
            pending.setdefault(str(related_id), []).append(obj)

        if not pending:
            return

        if "id" not in target._meta.filters:
            # The Hub cannot list these records by id, so each distinct one is read on its own.
            for related_id, waiting in pending.items():
                related = target.objects.using(session).get_or_none(id=related_id)
                for obj in waiting:
                    obj._related[relation.name] = related
            return

        ids = list(pending)
        for start in range(0, len(ids), PAGE_SIZE):
            batch = ids[start : start + PAGE_SIZE]
            params = [("filter[id]", ",".join(batch)), ("page[limit]", str(PAGE_SIZE)), ("page[offset]", "0")]
            body = session.request_json(target._meta.service, "GET", target._meta.path, params=params)
            for row in body.get("data", []):
                related = target._from_hub(row, session)
                for obj in pending.get(str(related.id), []):
                    obj._related[relation.name] = related

    def _check_field_names(self, fields: Iterable[str]) -> list[str]:
        names = list(fields) or list(self.model.model_fields)
        for name in names:
            if name not in self.model.model_fields:
                raise ValueError(
                    f"{self.model.__name__} has no field {name!r}; fields: {', '.join(self.model.model_fields)}."
                )
        return names

    def _create_params(self, lookups: Mapping[str, Any], defaults: Mapping[str, Any] | None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in lookups.items():
            name, _, lookup = key.partition("__")
            if lookup not in ("", "exact"):
                raise ValueError(f"get_or_create() can only create from exact lookups, got {key!r}.")
            params[name] = value
        params.update(defaults or {})
        return params


# Marks that the page after the current one has not been requested yet.
_NOT_REQUESTED: Any = object()


def _build_during_next_request(
    pages: Generator[dict[str, Any], Callable[[], None] | None, None],
    body: dict[str, Any],
    build: Callable[[dict[str, Any]], list[M]],
) -> tuple[list[M], dict[str, Any] | None, Exception | None]:
    """Request the page after ``body`` and build the objects of ``body`` while the Hub prepares it.

    Return the objects, the next page's body (``None`` after the last page) and the error of that
    request. The objects are built after the request instead when it is never sent (there is no
    next page, or it failed before sending) or when the transport reports no wait.
    """
    built: list[list[M] | Exception] = []

    def build_now() -> None:
        try:
            built.append(build(body))
        except Exception as exc:  # noqa: BLE001 - raised below, outside the request
            built.append(exc)

    following: dict[str, Any] | None = None
    error: Exception | None = None
    try:
        following = pages.send(build_now)
    except StopIteration:
        pass
    except Exception as exc:  # noqa: BLE001 - raised by the caller after the rows before it
        error = exc
    if not built:
        build_now()

    objects = built[0]
    if isinstance(objects, Exception):
        raise objects
    return objects, following, error


class Manager(Generic[M]):
    """The entry point for queries of one model: ``Node.objects.filter(...)``; not reachable from instances."""

    queryset_class: type[QuerySet[Any]] = QuerySet

    def __init__(self, model: type[M]) -> None:
        self.model = model

    def __get__(self, instance: Any, owner: type | None = None) -> Manager[M]:
        if instance is not None:
            raise AttributeError(f"Manager isn't accessible via {type(instance).__name__} instances; use the class.")
        return self

    def __repr__(self) -> str:
        return f"<Manager {self.model.__name__}>"

    def get_queryset(self) -> QuerySet[M]:
        return self.queryset_class(self.model)

    def all(self) -> QuerySet[M]:
        return self.get_queryset()

    def filter(self, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().filter(**kwargs)

    def exclude(self, **kwargs: Any) -> QuerySet[M]:
        return self.get_queryset().exclude(**kwargs)

    def order_by(self, *keys: str) -> QuerySet[M]:
        return self.get_queryset().order_by(*keys)

    def include(self, *relations: str) -> QuerySet[M]:
        return self.get_queryset().include(*relations)

    def prefetch(self, *relations: str) -> QuerySet[M]:
        return self.get_queryset().prefetch(*relations)

    def fields(self, *names: str) -> QuerySet[M]:
        return self.get_queryset().fields(*names)

    def using(self, session: Any) -> QuerySet[M]:
        return self.get_queryset().using(session)

    def get(self, *args: Any, **kwargs: Any) -> M:
        return self.get_queryset().get(*args, **kwargs)

    def get_or_none(self, *args: Any, **kwargs: Any) -> M | None:
        return self.get_queryset().get_or_none(*args, **kwargs)

    def first(self) -> M | None:
        return self.get_queryset().first()

    def last(self) -> M | None:
        return self.get_queryset().last()

    def count(self) -> int:
        return self.get_queryset().count()

    def exists(self) -> bool:
        return self.get_queryset().exists()

    def create(self, **kwargs: Any) -> M:
        return self.get_queryset().create(**kwargs)

    def get_or_create(self, defaults: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[M, bool]:
        return self.get_queryset().get_or_create(defaults=defaults, **kwargs)

    def update_or_create(self, defaults: Mapping[str, Any] | None = None, **kwargs: Any) -> tuple[M, bool]:
        return self.get_queryset().update_or_create(defaults=defaults, **kwargs)

    def in_bulk(self, ids: Iterable[Any]) -> dict[str, M]:
        return self.get_queryset().in_bulk(ids)

    def values(self, *fields: str) -> list[dict[str, Any]]:
        return self.get_queryset().values(*fields)

    def values_list(self, *fields: str, flat: bool = False) -> list[Any]:
        return self.get_queryset().values_list(*fields, flat=flat)


# help(Node.objects.filter) shows the QuerySet method's docstring, because each Manager method delegates to it.
for _name, _method in vars(Manager).items():
    if callable(_method) and not _name.startswith("_") and _method.__doc__ is None and hasattr(QuerySet, _name):
        _method.__doc__ = getattr(QuerySet, _name).__doc__
del _name, _method
