"""The base ``Model``: one declaration per Hub resource drives paths, allowed queries, dirty tracking and relations.

A resource is a pydantic model with snake_case attributes (camelCase on the wire) and an inner
``class Meta`` that is turned into ``Model._meta`` (a ``ResourceMeta``) when the class is created.
"""

from __future__ import annotations

import contextvars
import copy
import datetime as dt
import difflib
import logging
import re
import threading
import types
import typing
import warnings
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, PrivateAttr, ValidationError

from flame_hub import _display, errors
from flame_hub._lookups import check_id, to_camel
from flame_hub.types import (
    AnalysisBucketType,
    ApprovalStatus,
    ClientAuthMethod,
    LogChannel,
    LogLevel,
    NodeType,
    ProcessStatus,
    RealmScope,
    RegistryProjectType,
)

if TYPE_CHECKING:
    from flame_hub._queryset import Manager

logger = logging.getLogger(__name__)

__all__ = [
    "OPERATIONS",
    "HubDataWarning",
    "IgnoredFieldWarning",
    "Model",
    "Relation",
    "RelationNotLoaded",
    "ResourceMeta",
    "Reverse",
    "UnknownEnumValueWarning",
    "UnsupportedOperation",
    "get_model",
]

OPERATIONS = frozenset({"list", "get", "create", "update", "delete"})

# Set while a Hub response is parsed. Pydantic calls the model's own __init__ during
# validation, and there the checks of caller input (server-set fields, enum values, lengths)
# must not run, because a newer Hub may send values this library does not know yet.
_parsing_hub_data: contextvars.ContextVar[bool] = contextvars.ContextVar("_parsing_hub_data", default=False)

# The empty _user_set that loaded objects share, because Python creates a new object for each frozenset().
_NO_NAMES: frozenset[str] = frozenset()

_registry: dict[str, type[Model]] = {}
_registry_lock = threading.Lock()


class UnsupportedOperation(errors.HubError, TypeError):
    """The Hub has no route for this operation on this resource (for example ``save()`` on a read-only one)."""


class AbsentOperation(UnsupportedOperation, AttributeError):
    """An instance method that the resource lacks, such as ``save()`` on a read-only resource.

    It is an ``AttributeError`` as well, so ``hasattr(image, "save")`` is false.
    """


class RelationNotLoaded(errors.HubError, AttributeError):
    """A relation was accessed in a ``lazy="raise"`` session before it was loaded."""


class UnknownEnumValueWarning(UserWarning):
    """The Hub sent an enum value this library does not know; it is kept as a plain string."""


class HubDataWarning(UserWarning):
    """The Hub sent a value of an unexpected type; the field is left unset and the value kept in ``model_extra``."""


class IgnoredFieldWarning(UserWarning):
    """The Hub returned a different value than the one an update sent, so it ignored or rewrote the value."""


class _Missing:
    """Marker for "no value loaded", distinct from a loaded ``None``."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def get_model(name: str) -> type[Model]:
    """Return the model class called ``name`` (as in ``"Node"``)."""
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"No model named {name!r}; known models: {', '.join(sorted(_registry))}.") from None


# --- enum fields -------------------------------------------------------------------------------


class _LenientEnum:
    """Before-validator that turns known values into ``enum_cls`` members and keeps unknown ones as strings."""

    def __init__(self, enum_cls: type[Enum]) -> None:
        self.enum_cls = enum_cls
        # A dict lookup costs a fifth of calling the enum class, and this runs for every row read.
        self._members = {member.value: member for member in enum_cls}

    def __call__(self, value: Any) -> Any:
        try:
            return self._members[value]
        except (KeyError, TypeError):
            # Not a known value, or not hashable: the checks below decide.
            pass
        if value is None or isinstance(value, self.enum_cls):
            return value
        try:
            return self.enum_cls(value)
        except ValueError:
            warnings.warn(
                f"Unknown {self.enum_cls.__name__} value {value!r} from the Hub; it is kept as a string.",
                UnknownEnumValueWarning,
                stacklevel=2,
            )
            return value


# Annotations of optional enum fields: known values become members, unknown ones stay strings.
NodeTypeValue = Annotated[Union[NodeType, str, None], BeforeValidator(_LenientEnum(NodeType))]  # noqa: UP007
ProcessStatusValue = Annotated[Union[ProcessStatus, str, None], BeforeValidator(_LenientEnum(ProcessStatus))]  # noqa: UP007
ApprovalStatusValue = Annotated[Union[ApprovalStatus, str, None], BeforeValidator(_LenientEnum(ApprovalStatus))]  # noqa: UP007
AnalysisBucketTypeValue = Annotated[
    Union[AnalysisBucketType, str, None], BeforeValidator(_LenientEnum(AnalysisBucketType))  # noqa: UP007
]
RegistryProjectTypeValue = Annotated[
    Union[RegistryProjectType, str, None], BeforeValidator(_LenientEnum(RegistryProjectType))  # noqa: UP007
]
RealmScopeValue = Annotated[Union[RealmScope, str, None], BeforeValidator(_LenientEnum(RealmScope))]  # noqa: UP007
ClientAuthMethodValue = Annotated[
    Union[ClientAuthMethod, str, None], BeforeValidator(_LenientEnum(ClientAuthMethod))  # noqa: UP007
]
LogLevelValue = Annotated[Union[LogLevel, str, None], BeforeValidator(_LenientEnum(LogLevel))]  # noqa: UP007
LogChannelValue = Annotated[Union[LogChannel, str, None], BeforeValidator(_LenientEnum(LogChannel))]  # noqa: UP007


# --- declarations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceMeta:
    """The declaration of one Hub resource, built from a model's inner ``class Meta``.

    Field names are snake_case; ``wire_name()`` gives the camelCase name the Hub uses.
    ``operations`` lists the routes that exist (``list``, ``get``, ``create``, ``update``,
    ``delete``). ``create_only`` fields are sent on create only, ``updatable`` ones on create and
    update; every other declared field is set by the server. ``hidden`` fields are only returned
    when requested with ``fields("+name")``; ``secret`` fields never appear in ``repr()``.
    ``normalized`` fields are stored by the Hub in a canonical form, so a different value in an
    update's response is expected and does not raise an ``IgnoredFieldWarning``.
    """

    model: type[Model]
    service: str
    path: str
    singular: str
    plural: str
    operations: frozenset[str]
    create_only: frozenset[str]
    updatable: frozenset[str]
    required: frozenset[str]
    hidden: frozenset[str]
    secret: frozenset[str]
    filters: frozenset[str]
    sorts: tuple[str, ...]
    includes: tuple[str, ...]
    required_filters: tuple[str, ...]
    limits: Mapping[str, tuple[int, int]]
    patterns: Mapping[str, str]
    normalized: frozenset[str]
    enums: Mapping[str, type[Enum]]
    kinds: Mapping[str, str]
    repr_fields: tuple[str, ...]
    relations: Mapping[str, Relation] = field(default_factory=dict)
    reverse: Mapping[str, Reverse] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[str, ...]:
        """Names of every declared attribute."""
        return tuple(self.model.model_fields)

    @property
    def server_set(self) -> frozenset[str]:
        """Fields the server sets; sending them has no effect."""
        return frozenset(self.fields) - self.create_only - self.updatable

    @property
    def writable_on_create(self) -> frozenset[str]:
        return self.create_only | self.updatable

    def wire_name(self, name: str) -> str:
        """Return the camelCase name of field or relation ``name`` on the wire."""
        info = self.model.model_fields.get(name)
        if info is not None and info.alias:
            return info.alias
        return to_camel(name)

    def supports(self, operation: str) -> bool:
        return operation in self.operations

    def require(self, operation: str) -> None:
        """Raise ``UnsupportedOperation`` unless the Hub has a route for ``operation``."""
        if operation not in self.operations:
            have = ", ".join(sorted(self.operations)) or "none"
            raise UnsupportedOperation(
                f"The Hub does not support {operation!r} for {self.model.__name__} ({self.plural}); "
                f"supported operations: {have}."
            )


class Relation:
    """A forward relation: the object whose id is stored in ``field`` (``Node.realm`` via ``realm_id``).

    Access loads the related object on first use through the session's identity map, unless the
    response embedded it (``include`` or the Hub's own embedding). Assigning an object or an id
    sets ``field``.
    """

    def __init__(self, field: str, target: str, *, service: str | None = None) -> None:
        self.field = field
        self.target_name = target
        self._service = service
        self.name = ""
        # The relation's key in Hub records (``registryProject``), set with the name.
        self.wire_name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.wire_name = to_camel(name)

    def __repr__(self) -> str:
        return f"Relation({self.name!r} -> {self.target_name} via {self.field!r})"

    @property
    def target(self) -> type[Model]:
        return get_model(self.target_name)

    @property
    def service(self) -> str:
        """The service of the related resource (``"auth"``, ``"core"`` or ``"storage"``)."""
        return self._service or self.target._meta.service

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance._load_relation(self)

    def __set__(self, instance: Model, value: Any) -> None:
        instance._set_relation(self, value)


class Reverse:
    """A reverse relation: a ``QuerySet`` of ``target`` rows whose ``field`` is this object's id."""

    def __init__(self, target: str, field: str) -> None:
        self.target_name = target
        self.field = field
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Reverse({self.name!r} -> {self.target_name}.{self.field})"

    @property
    def target(self) -> type[Model]:
        return get_model(self.target_name)

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        if instance.id is None:
            raise ValueError(f"{type(instance).__name__}.{self.name} needs a saved object; call save() first.")

        queryset = self.target.objects.filter(**{self.field: instance.id})
        session = instance._session
        return queryset.using(session) if session is not None else queryset

    def __set__(self, instance: Model, value: Any) -> None:
        raise AttributeError(
            f"{type(instance).__name__}.{self.name} is a query of {self.target_name} rows; "
            f"set {self.target_name}.{self.field} on each row instead."
        )


# The Hub operations behind each instance method; a resource with none of them lacks the method.
_METHOD_OPERATIONS = {"save": ("create", "update"), "delete": ("delete",), "refresh": ("get",)}


class _AbsentMethod:
    """Stand in for an instance method whose Hub operations the resource lacks; reading it raises."""

    def __init__(self, operations: tuple[str, ...]) -> None:
        self.operations = operations
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        # A saved object would be updated by save(), an unsaved one created.
        operation = self.operations[-1] if instance._is_persisted_safe() else self.operations[0]
        try:
            instance._meta.require(operation)
        except UnsupportedOperation as exc:
            raise AbsentOperation(f"{type(instance).__name__} has no {self.name}() method. {exc}") from None
        # Not reached: a class lacks the method only when it supports none of the method's operations.
        raise AssertionError(f"{type(instance).__name__} supports {operation!r} but lacks {self.name}().")


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return _strip_optional(args[0])
        return Union[tuple(args)]  # noqa: UP007
    if origin is typing.Annotated:
        return _strip_optional(typing.get_args(annotation)[0])
    return annotation


def _field_kind(name: str, annotation: Any, text_ids: frozenset[str]) -> str:
    if (name == "id" or name.endswith("_id")) and name not in text_ids:
        return "uuid"
    base = _strip_optional(annotation)
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if base is dt.datetime:
        return "datetime"
    if base is str:
        return "str"
    return "other"


def _build_meta(cls: type[Model]) -> ResourceMeta:
    declared = cls.__dict__.get("Meta")
    if declared is None:
        raise TypeError(f"{cls.__name__} needs an inner 'class Meta' declaring its service and path.")

    def option(name: str, default: Any = ()) -> Any:
        return getattr(declared, name, default)

    field_names = set(cls.model_fields)
    relations = {name: value for name, value in _class_attributes(cls) if isinstance(value, Relation)}
    reverse = {name: value for name, value in _class_attributes(cls) if isinstance(value, Reverse)}

    enums: dict[str, type[Enum]] = {}
    for name, info in cls.model_fields.items():
        for item in info.metadata:
            func = getattr(item, "func", None)
            if isinstance(func, _LenientEnum):
                enums[name] = func.enum_cls

    text_ids = frozenset(option("text_ids"))
    kinds = {name: _field_kind(name, info.annotation, text_ids) for name, info in cls.model_fields.items()}
    for name in enums:
        kinds[name] = "enum"

    meta = ResourceMeta(
        model=cls,
        service=option("service", ""),
        path=option("path", ""),
        singular=option("singular", ""),
        plural=option("plural", ""),
        operations=frozenset(option("operations", OPERATIONS)),
        create_only=frozenset(option("create_only")),
        updatable=frozenset(option("updatable")),
        required=frozenset(option("required")),
        hidden=frozenset(option("hidden")),
        secret=frozenset(option("secret")),
        filters=frozenset(option("filters")),
        sorts=tuple(option("sorts")),
        includes=tuple(option("includes")),
        required_filters=tuple(option("required_filters")),
        limits=dict(option("limits", {})),
        patterns=dict(option("patterns", {})),
        normalized=frozenset(option("normalized")),
        enums=enums,
        kinds=kinds,
        repr_fields=tuple(option("repr_fields", ("id", "name", "realm_id"))),
        relations=relations,
        reverse=reverse,
    )

    unknown = (
        (meta.create_only | meta.updatable | meta.hidden | meta.secret | meta.filters)
        | set(meta.limits)
        | set(meta.patterns)
        | meta.normalized
        | set(meta.sorts)
        | set(meta.required_filters)
    ) - field_names
    if unknown:
        raise TypeError(f"{cls.__name__}.Meta names fields that are not declared: {', '.join(sorted(unknown))}.")
    missing_includes = set(meta.includes) - set(relations)
    if missing_includes:
        raise TypeError(f"{cls.__name__}.Meta includes relations that are not declared: {sorted(missing_includes)}.")
    if meta.operations - OPERATIONS:
        raise TypeError(f"{cls.__name__}.Meta has unknown operations: {sorted(meta.operations - OPERATIONS)}.")
    return meta


def _class_attributes(cls: type) -> list[tuple[str, Any]]:
    seen: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        seen.update(vars(klass))
    return list(seen.items())


# --- the model -----------------------------------------------------------------------------------


class Model(BaseModel):
    """Base class of every Hub resource: an active record bound to a session.

    Create with ``Node(name=..., realm=realm).save()``, query with ``Node.objects``. Attributes are
    validated on assignment; setting a name that is not a field raises ``AttributeError``.
    """

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        validate_assignment=True,
        ignored_types=(Relation, Reverse),
        protected_namespaces=(),
        # Validation errors name the field and the expected type but not the value, which may be a secret.
        hide_input_in_errors=True,
    )

    _meta: ClassVar[ResourceMeta]
    objects: ClassVar[Manager[Any]]
    DoesNotExist: ClassVar[type[errors.ObjectDoesNotExist]]
    MultipleObjectsReturned: ClassVar[type[errors.MultipleObjectsReturned]]
    # False for records the Hub sends without an id (log records): for those, "came from the Hub"
    # alone means stored, so saving one again does not post it a second time.
    _records_have_ids: ClassVar[bool] = True

    id: str | None = None

    _session: Any = PrivateAttr(default=None)
    # The field values as last loaded or saved, to find changed fields. None on a loaded object whose
    # fields contain no lists or dicts until a field is set, because its values are the loaded ones.
    _snapshot: dict[str, Any] | None = PrivateAttr(default_factory=dict)
    _related: dict[str, Any] = PrivateAttr(default_factory=dict)
    # Names of the fields the caller set. A frozenset, replaced on change, so that a loaded object
    # shares the empty one instead of keeping a set of its own for the garbage collector to scan.
    _user_set: frozenset[str] = PrivateAttr(default=_NO_NAMES)
    _persisted: bool = PrivateAttr(default=False)
    _deleted: bool = PrivateAttr(default=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if _uses_default_private_init(cls):
            # Pydantic looks model_post_init up on each validated object, so this replaces its own.
            cls.model_post_init = _init_private_attributes  # type: ignore[method-assign, assignment]
        if "Meta" not in cls.__dict__:
            return

        from flame_hub._queryset import Manager

        cls._meta = _build_meta(cls)
        cls.DoesNotExist = type(
            "DoesNotExist",
            (errors.ObjectDoesNotExist,),
            {"__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.DoesNotExist"},
        )
        cls.MultipleObjectsReturned = type(
            "MultipleObjectsReturned",
            (errors.MultipleObjectsReturned,),
            {"__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}.MultipleObjectsReturned"},
        )
        manager_cls = getattr(cls.Meta, "manager", Manager)  # type: ignore[attr-defined]
        cls.objects = manager_cls(cls)
        for method, operations in _METHOD_OPERATIONS.items():
            if not any(cls._meta.supports(operation) for operation in operations):
                absent = _AbsentMethod(operations)
                absent.__set_name__(cls, method)
                setattr(cls, method, absent)
        with _registry_lock:
            _registry[cls.__name__] = cls

    # self is positional-only, so a Hub record with a "self" key parses like any other extra key.
    def __init__(self, /, **data: Any) -> None:
        if _parsing_hub_data.get():
            super().__init__(**data)
            return

        meta = self._meta
        relation_values = {name: data.pop(name) for name in list(data) if name in meta.relations}

        for name, value in data.items():
            if name not in type(self).model_fields:
                raise AttributeError(self._unknown_field_message(name))
            self._check_user_value(name, value)

        super().__init__(**data)
        self._user_set = frozenset(data)
        for name, value in relation_values.items():
            self._set_relation(meta.relations[name], value)

    # --- magic methods ---------------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            super().__setattr__(name, value)
            return

        cls = type(self)
        descriptor = getattr(cls, name, None)
        if isinstance(descriptor, (Relation, Reverse)):
            descriptor.__set__(self, value)
            return
        if name not in cls.model_fields:
            raise AttributeError(self._unknown_field_message(name))

        self._check_user_value(name, value)
        private = self.__pydantic_private__
        if private is not None and private["_snapshot"] is None:
            private["_snapshot"] = dict(self.__dict__)
        super().__setattr__(name, value)
        self._user_set = self._user_set | {name}

    if not TYPE_CHECKING:
        # Behind a TYPE_CHECKING guard like pydantic's own __getattr__, so type checkers still
        # report unknown attributes.

        def __getattr__(self, name: str) -> Any:
            if name.startswith("_"):
                return super().__getattr__(name)
            if hasattr(type(self), name):
                # A relation, property or absent method raised AttributeError: raise its own error again.
                return object.__getattribute__(self, name)
            try:
                # Extra fields that the Hub sent and the model does not declare.
                return super().__getattr__(name)
            except AttributeError:
                raise AttributeError(self._unknown_field_message(name)) from None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model):
            return NotImplemented
        if self is other:
            return True
        return type(self) is type(other) and self.id is not None and self.id == other.id

    def __hash__(self) -> int:
        if self.id is None:
            raise TypeError(f"An unsaved {type(self).__name__} has no id and cannot be hashed; save() it first.")
        return hash((type(self), self.id))

    def __repr__(self) -> str:
        meta = self._meta
        arguments = []
        for name in meta.repr_fields:
            if name in type(self).model_fields and name not in meta.secret:
                value = self.__dict__.get(name)
                if value is not None:
                    arguments.append(f"{name}={_short(value)}")
        text = f"{type(self).__name__}({', '.join(arguments)})"

        private = getattr(self, "__pydantic_private__", None) or {}
        if private.get("_deleted"):
            return f"{text} (deleted)"
        if not private.get("_persisted"):
            return f"{text} (unsaved)"
        dirty = self.changed_fields()
        if dirty:
            return f"{text} (modified: {', '.join(dirty)})"
        return text

    __str__ = __repr__

    def __repr_args__(self) -> Any:
        # Used by rich and devtools; secrets and unknown extra fields (the Hub sends password
        # hashes as extras) stay out.
        secret = self._meta.secret
        for name in type(self).model_fields:
            if name not in secret:
                yield name, self.__dict__.get(name)

    def __dir__(self) -> list[str]:
        return _display.model_dir(self, list(super().__dir__()))

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Print the record for IPython: its repr, then a table of fields; sends no request."""
        _display.model_pretty(self, printer, cycle)

    def _repr_html_(self) -> str:
        """Return an HTML table of the fields for Jupyter; sends no request."""
        return _display.model_html(self)

    # --- methods that send requests --------------------------------------------------------------

    def save(self, *, update_fields: Iterable[str] | None = None, using: Any = None) -> None:
        """Create the record (POST, 201) or send the changed fields as an update (POST ``{path}/{id}``, 202).

        ``update_fields`` limits an update to those fields (sent even when unchanged). When the
        request fails the object keeps its unsaved changes.
        """
        meta = self._meta
        meta.require("update" if self._persisted else "create")
        if self._deleted:
            raise errors.HubError(f"This {type(self).__name__} was deleted; create a new object instead.")
        session = self._bind_session(using)

        if not self._persisted:
            self._create(session, update_fields)
        else:
            self._update(session, update_fields)
        logger.debug("Saved %s %s", meta.singular, self.id)

    def delete(self, *, using: Any = None) -> None:
        """Delete the record on the Hub (DELETE ``{path}/{id}``) and forget it in the identity map."""
        meta = self._meta
        meta.require("delete")
        record_id = self._require_id("delete()")
        session = self._bind_session(using)

        session.request_json(meta.service, "DELETE", f"{meta.path}/{record_id}")
        session.identity_map.expunge(self)
        self._persisted = False
        self._deleted = True

    def refresh(self, *, using: Any = None) -> None:
        """Reload every field from the Hub in place, discarding unsaved changes and loaded relations."""
        meta = self._meta
        meta.require("get")
        record_id = self._require_id("refresh()")
        session = self._bind_session(using)

        body = session.request_json(meta.service, "GET", f"{meta.path}/{record_id}")
        self._related.clear()
        self._apply_hub_data(_unwrap(body), session, keep_dirty=False)
        session.identity_map.touch(self)

    # --- change tracking -------------------------------------------------------------------------

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Any:
        """Return a deep copy that shares this object's Session, whose locks and connections cannot be copied."""
        memo = {} if memo is None else memo
        private: dict[str, Any] | None = self.__pydantic_private__
        session = None if private is None else private["_session"]
        if session is not None:
            memo[id(session)] = session
        return super().__deepcopy__(memo)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Any:
        """Return a copy as pydantic does. The copy tracks its own changes, ``update`` included."""
        private: dict[str, Any] | None = self.__pydantic_private__
        snapshot = None if private is None else private["_snapshot"]
        if private is not None and snapshot is None:
            snapshot = dict(self.__dict__)
        copied = super().model_copy(update=update, deep=deep)
        if copied.__pydantic_private__ is not None and snapshot is not None:
            copied.__pydantic_private__["_snapshot"] = copy.deepcopy(snapshot)
        return copied

    def changed_fields(self) -> list[str]:
        """Return the names of fields changed since the object was loaded or saved."""
        # The private attributes are read from their dict, because each attribute access goes through
        # pydantic's __getattr__. The dict is set when the object is created, so it is never None here.
        private: dict[str, Any] = self.__pydantic_private__  # type: ignore[assignment]
        if not private["_persisted"]:
            return sorted(private["_user_set"])
        current = self.__dict__
        snapshot = private["_snapshot"]
        if snapshot is None:
            return []
        return [
            name
            for name in type(self).model_fields
            if name in snapshot and current.get(name, MISSING) != snapshot[name]
        ]

    @property
    def is_saved(self) -> bool:
        """Whether the object exists on the Hub (was loaded or saved, and not deleted)."""
        return self._persisted

    # --- private helpers -------------------------------------------------------------------------

    @classmethod
    def _from_hub(cls, payload: Mapping[str, Any], session: Any, *, cache: bool = True) -> Any:
        """Return the object for a record of a Hub response, reusing the identity map's object for its id.

        ``cache=False`` leaves the object out of the identity map's time-to-live cache.
        """
        record_id = payload.get("id")
        identity_map = session.identity_map if session is not None else None

        existing = identity_map.get(cls, record_id) if identity_map is not None else None
        if existing is not None:
            existing._apply_hub_data(payload, session, keep_dirty=True)
            if cache:
                identity_map.touch(existing)  # type: ignore[union-attr]
            return existing

        plan = _hub_plan(cls)
        data, embedded = cls._split_embedded(payload, session)
        obj = cls._parse_hub_data(data)
        # Pydantic also counts keys the model does not declare, so a record with every field has as
        # many names as the model has fields and no extra keys. It shares one fields-set per class.
        if len(obj.__pydantic_fields_set__) == plan.field_count and not obj.__pydantic_extra__:
            _FIELDS_SET_SLOT.__set__(obj, plan.every_field)
        # One update of the private dict instead of four trips through pydantic's __setattr__.
        obj.__pydantic_private__.update(
            _session=session,
            _persisted=record_id is not None or not cls._records_have_ids,
            _snapshot=obj._field_values() if plan.mutable_fields else None,
            _related=embedded,
        )

        if identity_map is not None and record_id is not None:
            canonical = identity_map.add_loaded(obj, cache=cache)
            if canonical is not obj:
                # Another thread registered this id since the lookup above.
                canonical._apply_hub_data(payload, session, keep_dirty=True)
                obj = canonical
        return obj

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Parse a record as the Hub sends it (camelCase keys); unknown enum values and keys are kept.

        The object is not bound to a session; query through ``Model.objects`` to get tracked objects.
        """
        token = _parsing_hub_data.set(True)
        try:
            return super().model_validate(obj, *args, **kwargs)
        finally:
            _parsing_hub_data.reset(token)

    @classmethod
    def _parse_hub_data(cls, data: Mapping[str, Any]) -> Any:
        """Parse a Hub record; a value of the wrong type is set aside with a warning instead of failing the read."""
        try:
            return cls._validate_hub_record(data)
        except ValidationError as exc:
            invalid = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not invalid or not invalid <= set(data):
                raise

        warnings.warn(
            f"The Hub sent values of an unexpected type for {cls.__name__}: {', '.join(sorted(invalid))}; "
            "they are left unset and kept in model_extra under the names the Hub uses.",
            HubDataWarning,
            stacklevel=3,
        )
        obj = cls._validate_hub_record({key: value for key, value in data.items() if key not in invalid})
        if obj.__pydantic_extra__ is None:
            obj.__pydantic_extra__ = {}
        obj.__pydantic_extra__.update({key: data[key] for key in invalid})
        return obj

    @classmethod
    def _validate_hub_record(cls, data: Mapping[str, Any]) -> Any:
        """Validate a Hub record into a new object without running the model's own ``__init__``."""
        if not _hub_plan(cls).direct:
            return cls.model_validate(data)
        # Pydantic calls a custom __init__ from validation, and that __init__ validates again. Filling a
        # bare instance validates once, and the checks of caller input in __init__ do not apply to Hub data.
        obj = cls.__new__(cls)
        cls.__pydantic_validator__.validate_python(data, self_instance=obj)
        return obj

    @classmethod
    def _split_embedded(cls, payload: Mapping[str, Any], session: Any) -> tuple[Mapping[str, Any], dict[str, Any]]:
        """Return the payload without embedded related records, and those records as objects by relation name."""
        # Most records embed nothing, and then the payload itself is returned.
        if _hub_plan(cls).relation_keys.isdisjoint(payload):
            return payload, {}
        data = dict(payload)
        embedded: dict[str, Any] = {}
        for name, relation in cls._meta.relations.items():
            wire = relation.wire_name
            if wire not in data:
                continue
            value = data.pop(wire)
            if isinstance(value, Mapping):
                embedded[name] = relation.target._from_hub(value, session)
            elif value is None and data.get(cls._meta.wire_name(relation.field)) is None:
                embedded[name] = None
        return data, embedded

    def _apply_hub_data(self, payload: Mapping[str, Any], session: Any, *, keep_dirty: bool) -> None:
        """Copy a Hub record into this object; with ``keep_dirty`` unsaved changes survive."""
        cls = type(self)
        data, embedded = cls._split_embedded(payload, session)
        parsed = cls._parse_hub_data(data)
        # The private attributes are used through their dict, because each attribute access goes
        # through pydantic's __getattr__ or __setattr__. The dict is never None after creation.
        private: dict[str, Any] = self.__pydantic_private__  # type: ignore[assignment]
        dirty = set(self.changed_fields()) if (keep_dirty and private["_persisted"]) else set()

        snapshot = private["_snapshot"]
        mutable = _hub_plan(cls).mutable_fields
        received = parsed.model_fields_set
        for name in received:
            # Keys the model does not declare are in the fields-set too. They are merged as extras below.
            if name not in parsed.__dict__:
                continue
            value = parsed.__dict__[name]
            # Without a snapshot no field is dirty, so the new values are the snapshot as well.
            if snapshot is not None:
                snapshot[name] = _snapshot_copy(value) if name in mutable else value
            if name not in dirty:
                self.__dict__[name] = value
        known = self.__pydantic_fields_set__
        if not received <= known:
            # A new set, because the old one may be the read-only set that loaded objects share.
            _FIELDS_SET_SLOT.__set__(self, known | received)
        if parsed.__pydantic_extra__:
            if self.__pydantic_extra__ is None:
                self.__pydantic_extra__ = {}
            self.__pydantic_extra__.update(parsed.__pydantic_extra__)

        private["_related"].update(embedded)
        if session is not None:
            private["_session"] = session
        if not keep_dirty:
            private["_user_set"] = _NO_NAMES
        private["_persisted"] = self.id is not None or not cls._records_have_ids

    def _field_values(self) -> dict[str, Any]:
        # Pydantic keeps every declared field, and nothing else, in __dict__. Only fields whose type
        # allows a mutable value need a copy.
        snapshot = dict(self.__dict__)
        for name in _hub_plan(type(self)).mutable_fields:
            snapshot[name] = _snapshot_copy(snapshot.get(name))
        return snapshot

    def _wire_body(self, names: Iterable[str]) -> dict[str, Any]:
        names = set(names)
        return self.model_dump(mode="json", by_alias=True, include=names)

    def _create(self, session: Any, update_fields: Iterable[str] | None) -> None:
        meta = self._meta
        meta.require("create")

        names = [name for name in self._user_set if name in meta.writable_on_create]
        if update_fields is not None:
            names = [name for name in self._check_update_fields(update_fields) if name in names]
        missing = [name for name in sorted(meta.required) if self.__dict__.get(name) is None]
        if missing:
            name = type(self).__name__
            # "U" is left out: the model names starting with it (User) take "a".
            article = "an" if name[0] in "AEIO" else "a"
            pronoun = "it" if len(missing) == 1 else "them"
            raise ValueError(f"Cannot create {article} {name} without {', '.join(missing)}; set {pronoun} first.")

        body = self._wire_body(names)
        response = session.request_json(meta.service, "POST", meta.path, json=body)
        record = _unwrap(response)
        if not isinstance(record, Mapping):
            raise errors.HubError(
                f"The Hub accepted the new {type(self).__name__} but returned no record, so its id is unknown. "
                f"Look it up with {type(self).__name__}.objects.filter(...) before creating it again."
            )
        self._apply_hub_data(record, session, keep_dirty=False)
        session.identity_map.add(self)
        session.identity_map.touch(self)

    def _update(self, session: Any, update_fields: Iterable[str] | None) -> None:
        meta = self._meta
        record_id = self._require_id("save()")

        if update_fields is not None:
            names = self._check_update_fields(update_fields)
        else:
            names = [name for name in self.changed_fields() if name in meta.updatable]
        if not names:
            return
        meta.require("update")

        body = self._wire_body(names)
        response = session.request_json(meta.service, "POST", f"{meta.path}/{record_id}", json=body)
        record = _unwrap(response)
        if not isinstance(record, Mapping):
            # The Hub accepted the update without returning the record, so the sent values count as stored.
            snapshot = self._snapshot
            if snapshot is not None:
                for name in names:
                    snapshot[name] = copy.deepcopy(self.__dict__.get(name))
            self._user_set = _NO_NAMES
            session.identity_map.touch(self)
            return
        self._warn_ignored(names, body, record)
        self._apply_hub_data(record, session, keep_dirty=False)
        session.identity_map.touch(self)

    def _warn_ignored(self, names: list[str], body: Mapping[str, Any], record: Mapping[str, Any]) -> None:
        """Warn about each sent field whose value in the Hub's response differs (ignored or rewritten)."""
        meta = self._meta
        for name in names:
            wire = meta.wire_name(name)
            # Secrets come back hashed, and normalized fields in the Hub's canonical form.
            if wire not in record or name in meta.secret or name in meta.normalized:
                continue
            sent, echoed = body.get(wire), record[wire]
            if not _equivalent(sent, echoed):
                warnings.warn(
                    f"The Hub stored {type(self).__name__}.{name} as {echoed!r}, not the {sent!r} that was sent; "
                    "it ignored or rewrote the value.",
                    IgnoredFieldWarning,
                    stacklevel=4,
                )

    def _check_update_fields(self, update_fields: Iterable[str]) -> list[str]:
        meta = self._meta
        names = list(update_fields)
        for name in names:
            if name not in type(self).model_fields:
                raise ValueError(f"update_fields: {self._unknown_field_message(name)}")
            if self._persisted and name not in meta.updatable:
                raise ValueError(
                    f"update_fields: {type(self).__name__}.{name} cannot be updated; "
                    f"updatable fields: {', '.join(sorted(meta.updatable)) or 'none'}."
                )
        return names

    def _check_user_value(self, name: str, value: Any) -> None:
        """Raise when the caller sets a field the Hub would ignore, or a value it would reject."""
        meta = self._meta
        model = type(self).__name__

        if name not in meta.writable_on_create:
            raise AttributeError(f"{model}.{name} is set by the Hub and cannot be changed.")
        if name in meta.create_only and self._is_persisted_safe():
            raise AttributeError(
                f"{model}.{name} can only be set when the record is created; the Hub ignores it on update. "
                f"Create a new {model} instead."
            )
        if value is None:
            return

        enum_cls = meta.enums.get(name)
        if enum_cls is not None and not isinstance(value, enum_cls):
            allowed = [str(member.value) for member in enum_cls]
            if value not in allowed:
                raise ValueError(
                    f"{model}.{name}: {value!r} is not accepted by the Hub; use one of: {', '.join(allowed)}."
                )

        limit = meta.limits.get(name)
        if limit is not None and isinstance(value, str):
            low, high = limit
            if not low <= len(value) <= high:
                # A rejected secret stays out of the message, which may end up in a log.
                shown = "" if name in meta.secret else f" ({_short(value)})"
                raise ValueError(f"{model}.{name} must have {low} to {high} characters, got {len(value)}{shown}.")

        pattern = meta.patterns.get(name)
        if pattern is not None and isinstance(value, str) and not re.fullmatch(pattern, value):
            shown = "a secret value" if name in meta.secret else _short(value)
            raise ValueError(f"{model}.{name} must match {pattern}, got {shown}.")

        if meta.kinds.get(name) == "uuid":
            check_id(value, what=f"{model}.{name}")

    def _is_persisted_safe(self) -> bool:
        # Private attributes do not exist yet while pydantic's __init__ runs.
        private = getattr(self, "__pydantic_private__", None)
        return bool(private and private.get("_persisted"))

    def _unknown_field_message(self, name: str) -> str:
        cls = type(self)
        names = sorted(set(cls.model_fields) | set(cls._meta.relations))
        close = difflib.get_close_matches(name, names, n=1)
        suggestion = f" Did you mean {close[0]!r}?" if close else ""
        return f"{cls.__name__} has no field {name!r}; its fields are: {', '.join(names)}.{suggestion}"

    def _require_id(self, action: str) -> str:
        if self._deleted:
            raise ValueError(f"{action} cannot run: this {type(self).__name__} was already deleted.")
        if self.id is None or not self._persisted:
            raise ValueError(f"{action} needs a saved {type(self).__name__}; call save() first.")
        return self.id

    def _bind_session(self, using: Any) -> Any:
        if using is not None:
            self._session = using
        elif self._session is None:
            from flame_hub._session import get_default_session

            self._session = get_default_session()
        return self._session

    def _load_relation(self, relation: Relation) -> Any:
        related_id = self.__dict__.get(relation.field)
        cached = self._related.get(relation.name, MISSING)
        if cached is not MISSING and (cached is None or cached.id == related_id):
            if cached is not None or related_id is None:
                return cached
        if related_id is None:
            return None

        target = relation.target
        session = self._session
        if session is not None:
            known = session.identity_map.get(target, related_id)
            if known is not None:
                self._related[relation.name] = known
                return known
            if getattr(session, "lazy", "select") == "raise":
                # Only relations the Hub can embed may be included; every relation can be prefetched.
                if relation.name in self._meta.includes:
                    remedy = f".include({relation.name!r}) or .prefetch({relation.name!r})"
                else:
                    remedy = f".prefetch({relation.name!r})"
                raise RelationNotLoaded(
                    f"{type(self).__name__}.{relation.name} is not loaded and this session has lazy='raise'; "
                    f"load it with {remedy} in the query."
                )

        if _display.during_completion():
            # Completers read attributes to list what follows the dot; that must never send a request.
            raise RelationNotLoaded(
                f"{type(self).__name__}.{relation.name} is not loaded, and tab completion does not load relations."
            )

        queryset = target.objects.all()
        if session is not None:
            queryset = queryset.using(session)
        obj = queryset.get(id=related_id)
        self._related[relation.name] = obj
        return obj

    def _set_relation(self, relation: Relation, value: Any) -> None:
        if value is None:
            setattr(self, relation.field, None)
            self._related[relation.name] = None
            return

        if isinstance(value, Model):
            if not isinstance(value, relation.target):
                raise TypeError(
                    f"{type(self).__name__}.{relation.name} takes a {relation.target_name}, got {type(value).__name__}."
                )
            related_id = check_id(value, what=f"{type(self).__name__}.{relation.name}")
            setattr(self, relation.field, related_id)
            self._related[relation.name] = value
            return

        setattr(self, relation.field, check_id(value, what=f"{type(self).__name__}.{relation.name}"))
        self._related.pop(relation.name, None)

    def _command_response(self, response: Any) -> None:
        record = _unwrap(response)
        if isinstance(record, Mapping) and record:
            self._apply_hub_data(record, self._session, keep_dirty=True)


# Values that cannot change in place, so a snapshot can share them instead of copying.
_IMMUTABLE_TYPES = frozenset({str, int, float, bool, type(None), dt.datetime, dt.date})


def _snapshot_copy(value: Any) -> Any:
    """Return ``value`` itself when it is immutable, else a deep copy, for the change-tracking snapshot."""
    if type(value) in _IMMUTABLE_TYPES or isinstance(value, Enum):
        return value
    return copy.deepcopy(value)


# Names of the private attributes that Model declares; _init_private_attributes sets exactly these.
_PRIVATE_ATTRIBUTES = frozenset({"_session", "_snapshot", "_related", "_user_set", "_persisted", "_deleted"})


# The descriptor of the slot in which pydantic keeps an object's private attributes.
_PRIVATE_SLOT = BaseModel.__dict__["__pydantic_private__"]
# The descriptor of the slot in which pydantic keeps the names of the fields that were set.
_FIELDS_SET_SLOT = BaseModel.__dict__["__pydantic_fields_set__"]


def _init_private_attributes(self: Model, context: Any, /) -> None:
    """Set Model's private attributes to their defaults after pydantic has validated the fields.

    Pydantic's own version looks up each attribute's default or factory on every object. That was
    about 3 µs of the 6.6 µs that validating a node record took (timeit on the 2-core benchmark
    machine, pydantic 2.14).
    """
    # The slot is read through its descriptor, because getattr() on an unset slot goes on to
    # pydantic's __getattr__, which took about 3 µs per object (timeit on a 2-core virtual machine).
    try:
        if _PRIVATE_SLOT.__get__(self) is not None:
            return
    except AttributeError:
        pass

    private: dict[str, Any] = {
        "_session": None,
        "_snapshot": {},
        "_related": {},
        "_user_set": _NO_NAMES,
        "_persisted": False,
        "_deleted": False,
    }
    _PRIVATE_SLOT.__set__(self, private)


def _uses_default_private_init(cls: type[Model]) -> bool:
    """Return whether ``cls`` declares exactly Model's private attributes and no ``model_post_init`` of its own."""
    if set(cls.__private_attributes__) != _PRIVATE_ATTRIBUTES:
        return False
    post_init = cls.model_post_init
    # Pydantic wraps a model_post_init of the class with functools.wraps, so __wrapped__ names it.
    original = getattr(post_init, "__wrapped__", post_init)
    return original is _init_private_attributes or original.__module__ == "pydantic._internal._model_construction"


@dataclass(frozen=True)
class _HubPlan:
    """How to read a model's Hub records quickly, worked out once per class."""

    # Whether a record can be validated into a bare instance: false when a field holds another
    # model, whose own __init__ would then run outside _parsing_hub_data.
    direct: bool
    # Fields whose declared type allows a list, dict or other mutable value.
    mutable_fields: tuple[str, ...]
    # Keys under which a record may embed a related record.
    relation_keys: frozenset[str]
    # The number of fields, and the fields-set shared by loaded objects that have every field set.
    field_count: int
    every_field: _EveryField


class _EveryField(set):  # type: ignore[type-arg]
    """The names of all fields of one model, as the ``model_fields_set`` that its loaded objects share.

    A set per object took 728 bytes per loaded node (``sys.getsizeof``) and was one more object for
    the garbage collector to scan. Pydantic adds the name of each assigned field, which changes
    nothing here. A change that would remove a name or add another one raises ``TypeError``.
    Copies are plain sets.
    """

    __slots__ = ("_model_name",)

    def __init__(self, model_name: str, names: Iterable[str]) -> None:
        super().__init__(names)
        self._model_name = model_name

    def _reject(self, *args: Any) -> Any:
        raise TypeError(
            f"The model_fields_set of a loaded {self._model_name} is shared with the other loaded objects, "
            "so it cannot be changed. Change a copy instead: set(obj.model_fields_set)."
        )

    def add(self, name: Any) -> None:
        if name not in self:
            self._reject()

    def discard(self, name: Any) -> None:
        if name in self:
            self._reject()

    def update(self, *others: Iterable[Any]) -> None:
        for other in others:
            for name in other:
                self.add(name)

    # typeshed ignores the same error on set.__ior__ itself.
    def __ior__(self, other: AbstractSet[Any]) -> _EveryField:  # type: ignore[misc]
        self.update(other)
        return self

    remove = pop = clear = _reject
    difference_update = intersection_update = symmetric_difference_update = _reject
    __isub__ = __iand__ = __ixor__ = _reject

    def __copy__(self) -> set[Any]:
        return set(self)

    def __deepcopy__(self, memo: Any) -> set[Any]:
        return set(self)

    def __reduce__(self) -> Any:
        return (set, (list(self),))


_hub_plans: dict[type, _HubPlan] = {}

_IMMUTABLE_ANNOTATIONS = (str, int, float, bool, dt.datetime, dt.date)


def _hub_plan(cls: type[Model]) -> _HubPlan:
    plan = _hub_plans.get(cls)
    if plan is None:
        schema = cls.__pydantic_core_schema__
        direct = schema.get("type") == "model" and not _contains_model_schema(schema.get("schema"))
        enums = cls._meta.enums if "_meta" in cls.__dict__ else {}
        mutable = tuple(
            name
            for name, info in cls.model_fields.items()
            if name not in enums and _strip_optional(info.annotation) not in _IMMUTABLE_ANNOTATIONS
        )
        meta = getattr(cls, "_meta", None)
        relation_keys = frozenset(relation.wire_name for relation in meta.relations.values()) if meta else frozenset()
        # Two threads may build the same plan; either result is correct.
        plan = _hub_plans[cls] = _HubPlan(
            direct=direct,
            mutable_fields=mutable,
            relation_keys=relation_keys,
            field_count=len(cls.model_fields),
            every_field=_EveryField(cls.__name__, cls.model_fields),
        )
    return plan


def _contains_model_schema(schema: Any) -> bool:
    """Return whether a pydantic core schema refers to a model, dataclass or shared definition."""
    if isinstance(schema, Mapping):
        # A field called "type" makes the fields mapping hold a dict under that key.
        kind = schema.get("type")
        if isinstance(kind, str) and kind in {"model", "dataclass", "definitions", "definition-ref"}:
            return True
        return any(_contains_model_schema(value) for key, value in schema.items() if key != "metadata")
    if isinstance(schema, (list, tuple)):
        return any(_contains_model_schema(item) for item in schema)
    return False


def _unwrap(body: Any) -> Any:
    """Return ``data`` of a ``{data, meta}`` envelope, or the body itself when it is not one."""
    if isinstance(body, Mapping) and "data" in body and set(body) <= {"data", "meta"}:
        return body["data"]
    return body


def _short(value: Any, width: int = 40) -> str:
    if isinstance(value, Enum):
        value = value.value
    elif isinstance(value, (dt.datetime, dt.date)):
        value = value.isoformat()
    text = repr(value)
    if len(text) <= width:
        return text
    # Keep the closing quote of a shortened string, so the repr still reads as a literal.
    if isinstance(value, str):
        return text[: width - 4] + "..." + text[-1]
    return text[: width - 3] + "..."


def _equivalent(sent: Any, echoed: Any) -> bool:
    """Return whether the Hub's ``echoed`` value stores what was ``sent``, allowing for its expected rewrites."""
    if isinstance(sent, Mapping) and isinstance(echoed, Mapping):
        # The Hub adds optional keys as null (an image argument without a position).
        if any(key not in echoed or not _equivalent(value, echoed[key]) for key, value in sent.items()):
            return False
        return all(echoed[key] is None for key in echoed if key not in sent)
    if isinstance(sent, list) and isinstance(echoed, list):
        return len(sent) == len(echoed) and all(_equivalent(a, b) for a, b in zip(sent, echoed, strict=True))
    if isinstance(sent, str) and isinstance(echoed, str):
        # The Hub trims and lower-cases slug names (projects, analyses, Authup names).
        return sent == echoed or sent.strip().lower() == echoed
    return bool(sent == echoed)
