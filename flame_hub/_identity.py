"""The identity map: one Python object per (model, id) and session, plus a short-lived cache of loaded objects."""

from __future__ import annotations

import threading
import time
import weakref
from typing import TYPE_CHECKING, Any

from cachetools import TTLCache

if TYPE_CHECKING:
    from flame_hub.models._base import Model

__all__ = ["IdentityMap"]

_Key = tuple[type, str]

# Registrations before the first sweep of entries whose objects were freed.
_MIN_SWEEP = 1024


class IdentityMap:
    """Map (model class, id) to the one object a session uses for that record.

    Objects are held weakly, so the map alone never keeps a record alive. A bounded ``TTLCache``
    holds strong references to recently loaded objects for ``ttl`` seconds, which lets
    ``get(id=...)`` skip the request while the object is fresh. ``ttl=0`` disables that cache.
    """

    def __init__(self, ttl: float, maxsize: int) -> None:
        if ttl < 0:
            raise ValueError(f"cache_ttl must be 0 or more seconds, got {ttl!r}.")
        if maxsize < 0:
            raise ValueError(f"cache_size must be 0 or more objects, got {maxsize!r}.")

        self.ttl = float(ttl)
        self.maxsize = int(maxsize)
        self._lock = threading.RLock()
        # Weak references without callbacks, one dict per model class keyed by the id alone. A
        # WeakValueDictionary builds a KeyedRef in Python code for every object, and a (class, id)
        # tuple key is one more object per row for the garbage collector to scan. Entries of freed
        # objects stay until _sweep() removes them.
        self._objects: dict[type, dict[str, weakref.ReferenceType[Model]]] = {}
        self._added_since_sweep = 0
        self._sweep_after = _MIN_SWEEP
        self._cache: TTLCache[_Key, Model] | None = None
        if self.ttl > 0 and self.maxsize > 0:
            self._cache = TTLCache(maxsize=self.maxsize, ttl=self.ttl, timer=time.monotonic)

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for objects in self._objects.values() for ref in objects.values() if ref() is not None)

    def __contains__(self, obj: object) -> bool:
        key = _key_of(obj)
        if key is None:
            return False
        with self._lock:
            return self._lookup(key) is obj

    def get(self, model_cls: type[Model], id: Any) -> Model | None:
        """Return the object held for ``(model_cls, id)``, or ``None``."""
        if id is None:
            return None
        with self._lock:
            return self._lookup((model_cls, str(id)))

    def is_fresh(self, obj: Model) -> bool:
        """Return whether ``obj`` was loaded within the last ``ttl`` seconds."""
        key = _key_of(obj)
        if key is None or self._cache is None:
            return False
        with self._lock:
            return self._cache.get(key) is obj

    def add(self, obj: Model) -> Model:
        """Register ``obj`` and return the canonical object for its id.

        When another object is registered with that id, that object is returned and ``obj`` is
        not registered. Callers merge the new data into the returned object.
        """
        key = _key_of(obj)
        if key is None:
            return obj

        with self._lock:
            existing = self._lookup(key)
            if existing is not None and existing is not obj:
                return existing
            self._register(key, obj)
            return obj

    def add_loaded(self, obj: Model, *, cache: bool = True) -> Model:
        """Register ``obj`` as just loaded from the Hub and return the canonical object for its id.

        This is ``add()`` followed by ``touch()`` of the returned object, with one lock acquisition
        and one key instead of two, because every row of a listing goes through it. ``cache=False``
        leaves out the ``touch()``.
        """
        key = _key_of(obj)
        if key is None:
            return obj

        with self._lock:
            canonical = self._lookup(key)
            if canonical is None:
                self._register(key, obj)
                canonical = obj
            if cache and self._cache is not None:
                self._cache[key] = canonical
            return canonical

    def touch(self, obj: Model) -> None:
        """Mark ``obj`` as just loaded from the Hub, keeping it alive for ``ttl`` seconds."""
        key = _key_of(obj)
        if key is None or self._cache is None:
            return
        with self._lock:
            self._cache[key] = obj

    def expunge(self, obj: Model) -> None:
        """Forget ``obj``; a later load of the same id creates a new object."""
        key = _key_of(obj)
        if key is None:
            return
        with self._lock:
            if self._lookup(key) is obj:
                del self._objects[key[0]][key[1]]
            if self._cache is not None and self._cache.get(key) is obj:
                del self._cache[key]

    def clear(self) -> None:
        """Forget every object."""
        with self._lock:
            self._objects.clear()
            self._added_since_sweep = 0
            self._sweep_after = _MIN_SWEEP
            if self._cache is not None:
                self._cache.clear()

    def _lookup(self, key: _Key) -> Model | None:
        objects = self._objects.get(key[0])
        if objects is None:
            return None
        ref = objects.get(key[1])
        return None if ref is None else ref()

    def _register(self, key: _Key, obj: Model) -> None:
        objects = self._objects.get(key[0])
        if objects is None:
            objects = self._objects[key[0]] = {}
        objects[key[1]] = weakref.ref(obj)
        self._added_since_sweep += 1
        if self._added_since_sweep > self._sweep_after:
            self._sweep()

    def _sweep(self) -> None:
        """Remove the entries of freed objects.

        A sweep runs once the registrations since the last one outnumber the entries that were live
        then (at least 1 024), so sweeping costs a constant time per registration.
        """
        live = 0
        for objects in self._objects.values():
            for record_id in [record_id for record_id, ref in objects.items() if ref() is None]:
                del objects[record_id]
            live += len(objects)
        self._added_since_sweep = 0
        self._sweep_after = max(_MIN_SWEEP, live)


def _key_of(obj: object) -> _Key | None:
    id_value = getattr(obj, "id", None)
    if id_value is None:
        return None
    return (type(obj), str(id_value))
