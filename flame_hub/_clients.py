"""The official flame-hub-client's functional API: ``AuthClient``, ``CoreClient`` and ``StorageClient`` over the ORM.

Each client's ``get_<names>``, ``find_<names>``, ``get_<name>``, ``create_<name>``,
``update_<name>`` and ``delete_<name>`` methods are generated from the resource declarations
(``Model._meta``) of its service. Only the resource-specific actions are written out below.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import httpx2

from flame_hub import errors
from flame_hub._compat_types import UNSET, FilterOperator
from flame_hub._lookups import check_id
from flame_hub._session import Session
from flame_hub.auth import Auth, StaticAuth
from flame_hub.models import (
    RESOURCES,
    Analysis,
    AnalysisLog,
    AnalysisNodeLog,
    Bucket,
    ClientCredentials,
    MasterImage,
    Model,
    Node,
    Registry,
    RegistryCredentials,
)
from flame_hub.models._base import IgnoredFieldWarning, _unwrap
from flame_hub.models.core import MasterImageManager

__all__ = [
    "DEFAULT_AUTH_BASE_URL",
    "DEFAULT_CORE_BASE_URL",
    "DEFAULT_STORAGE_BASE_URL",
    "AuthClient",
    "CoreClient",
    "ResourceListMeta",
    "StorageClient",
    "get_field_names",
    "get_includable_names",
]

# The services of the public PrivateAIM Hub, the official client's defaults.
DEFAULT_AUTH_BASE_URL = "https://auth.privateaim.dev"
DEFAULT_CORE_BASE_URL = "https://core.privateaim.dev"
DEFAULT_STORAGE_BASE_URL = "https://storage.privateaim.dev"

# Wire operators of the official client's filter tuples, mapped to ORM lookup suffixes. On the
# current Hub (rapiq 2) a leading "~" means "ends with"; the official client meant a substring.
_OPERATOR_LOOKUPS = {"=": "", "!": "__ne", "~": "__endswith", "<": "__lt", "<=": "__lte", ">": "__gt", ">=": "__gte"}

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


@dataclass(frozen=True)
class ResourceListMeta:
    """What ``find_<names>(meta=True)`` returns next to the rows.

    ``total`` counts every matching row on the Hub. ``limit`` and ``offset`` describe the rows
    returned: the ``page`` requested, or all rows from offset 0 when no page was given.
    """

    total: int
    limit: int
    offset: int


# --- argument specifications ------------------------------------------------------------------------


class _Required:
    """Marker for a ``create_<name>`` parameter without a default."""

    def __repr__(self) -> str:
        return "REQUIRED"


_REQUIRED = _Required()


@dataclass(frozen=True)
class _Param:
    """One parameter of a ``create_<name>`` method: its name in the official client and the field it sets.

    ``field=None`` marks a parameter the official client sends but the Hub does not store; it is
    accepted and not sent. A ``default`` other than ``None`` is sent when the caller omits it.
    """

    name: str
    default: Any = _REQUIRED
    field: str | None | _Required = _REQUIRED

    @property
    def target(self) -> str | None:
        return self.name if isinstance(self.field, _Required) else self.field


def _p(name: str, default: Any = _REQUIRED, field: str | None | _Required = _REQUIRED) -> _Param:
    return _Param(name, default, field)


# The official client's create_<name> signatures, in its parameter order. Resources missing here
# get their required fields as positional parameters and every other writable field as keywords.
_CREATE_PARAMS: dict[str, tuple[_Param, ...]] = {
    "realm": (_p("name"), _p("display_name", None), _p("description", None)),
    "permission": (_p("name"), _p("display_name", None), _p("description", None), _p("realm_id", None)),
    "role": (_p("name"), _p("display_name", None), _p("description", None)),
    "role_permission": (_p("role_id"), _p("permission_id")),
    "user": (
        _p("name"),
        _p("email"),
        _p("display_name", None),
        _p("active", True),
        _p("name_locked", False),
        _p("first_name", None),
        _p("last_name", None),
    ),
    "user_permission": (_p("user_id"), _p("permission_id")),
    "user_role": (_p("user_id"), _p("role_id")),
    "client": (
        _p("name"),
        _p("realm_id"),
        _p("secret", None),
        _p("display_name", None),
        _p("description", None),
        _p("redirect_uri", None),
        _p("active", True),
        # Authup has no such field, and it sets secret_hashed itself.
        _p("is_confidential", True, field=None),
        _p("secret_hashed", False, field=None),
        _p("grant_types", None),
        _p("auth_method", "secret"),
        _p("token_binding_method", "none"),
        _p("post_logout_redirect_uri", None),
        _p("backchannel_logout_uri", None, field=None),
    ),
    "node": (
        _p("name"),
        _p("realm_id", None),
        _p("registry_id", None),
        _p("external_name", None),
        _p("node_type", "default", field="type"),
        _p("hidden", False),
    ),
    "project": (_p("name"), _p("display_name", None), _p("master_image_id", None), _p("description", None)),
    "project_node": (_p("project_id"), _p("node_id")),
    "analysis": (
        _p("project_id"),
        _p("name", None),
        _p("display_name", None),
        _p("description", None),
        _p("master_image_id", None),
        _p("registry_id", None),
        _p("image_command_arguments", None),
    ),
    "analysis_node": (_p("analysis_id"), _p("node_id")),
    "analysis_node_log": (
        _p("analysis_id"),
        _p("node_id"),
        _p("level"),
        _p("message"),
        _p("status", None),
        _p("code", None),
    ),
    "analysis_bucket": (_p("bucket_type", field="type"), _p("bucket_id"), _p("analysis_id")),
    "analysis_bucket_file": (
        _p("path"),
        _p("bucket_file_id"),
        _p("bucket_id"),
        _p("analysis_bucket_id"),
        _p("is_entrypoint", False, field="root"),
    ),
    "registry": (_p("name"), _p("host"), _p("account_name", None), _p("account_secret", None)),
    "registry_project": (
        _p("name"),
        _p("registry_project_type", field="type"),
        _p("registry_id"),
        _p("external_name"),
        _p("account_name", None),
        _p("account_secret", None),
    ),
    "bucket": (_p("name"), _p("region", None)),
}

# The official client's update_<name> parameters after the id, in its order. Updatable fields
# missing here become keyword-only parameters; ``field=None`` marks fields the Hub ignores on update.
_UPDATE_PARAMS: dict[str, tuple[_Param, ...]] = {
    "realm": (_p("name"), _p("display_name"), _p("description")),
    "permission": (_p("name"), _p("display_name"), _p("description"), _p("realm_id", field=None)),
    "role": (_p("name"), _p("display_name"), _p("description")),
    "user": (
        _p("name"),
        _p("display_name"),
        _p("email"),
        _p("active"),
        _p("name_locked"),
        _p("first_name"),
        _p("last_name"),
    ),
    "client": (
        _p("name"),
        _p("secret"),
        _p("display_name"),
        _p("description"),
        _p("redirect_uri"),
        _p("active"),
        _p("is_confidential", field=None),
        _p("secret_hashed", field=None),
        _p("grant_types"),
        _p("auth_method"),
        _p("token_binding_method"),
        _p("post_logout_redirect_uri"),
        _p("backchannel_logout_uri", field=None),
    ),
    "node": (
        _p("external_name"),
        _p("hidden"),
        _p("node_type", field="type"),
        _p("realm_id", field=None),
        _p("registry_id"),
        _p("public_key"),
    ),
    "project": (_p("description"), _p("master_image_id"), _p("name"), _p("display_name")),
    "project_node": (_p("comment"), _p("approval_status")),
    "analysis": (
        _p("name"),
        _p("display_name"),
        _p("description"),
        _p("master_image_id"),
        _p("image_command_arguments"),
    ),
    "analysis_node": (_p("comment"), _p("approval_status"), _p("execution_status"), _p("execution_progress")),
    "analysis_bucket_file": (_p("is_entrypoint", field="root"),),
    "registry": (_p("name"), _p("host"), _p("account_name"), _p("account_secret")),
    "registry_project": (
        _p("name"),
        _p("registry_project_type", field=None),
        _p("registry_id", field=None),
        _p("external_name"),
        _p("account_name", field=None),
        _p("account_secret", field=None),
    ),
}


def _warn_not_sent(model: type[Model], names: Iterable[str], action: str) -> None:
    """Warn that the official client's arguments ``names`` have no effect on the Hub and were not sent."""
    for name in names:
        warnings.warn(
            f"{model.__name__}: the Hub does not store {name!r} on {action}, so it was not sent.",
            IgnoredFieldWarning,
            stacklevel=3,
        )


# --- helpers -------------------------------------------------------------------------------------


def _snake(name: str) -> str:
    """Return the snake_case form of a field name given in camelCase (``realmId``) or already snake_case."""
    return _CAMEL_BOUNDARY.sub(lambda match: "_" + match.group(1).lower(), name)


def _names(value: str | Iterable[str] | None, argument: str) -> list[str]:
    """Return the snake_case names of an ``include=``/``fields=`` argument (one name or several)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [_snake(value)]
    if not isinstance(value, Iterable):
        raise TypeError(f"{argument}= takes a name or a list of names, got {type(value).__name__} {value!r}.")
    return [_snake(item) for item in value]


def _record_id(value: Any, model: type[Model]) -> str:
    """Return the id of a record given as a model object, ``uuid.UUID`` or UUID string."""
    if isinstance(value, Model) and not isinstance(value, model):
        raise TypeError(f"Expected a {model.__name__} or its id, got a {type(value).__name__}.")
    return check_id(value, what=f"{model.__name__} id")


def _filter_value(model: type[Model], name: str, value: Any) -> Any:
    """Return ``value`` as the ORM expects it for field ``name``: ISO strings become datetimes."""
    if model._meta.kinds.get(name) == "datetime" and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"filter[{name!r}]: {value!r} is not an ISO 8601 date and time.") from None
    return value


def _filter_lookups(model: type[Model], filter_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Translate the official client's ``filter=`` dict into ORM lookups.

    A value means equality, an ``(operator, value)`` pair uses the operator, a list means "one
    of", ``None`` means "is null"; keys may also carry an ORM lookup (``name__contains``).
    """
    lookups: dict[str, Any] = {}
    for key, value in (filter_params or {}).items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"filter keys are field names, got {key!r}.")
        if "." in key:
            relation = key.split(".", 1)[0]
            raise ValueError(
                f"filter key {key!r} names a field of the related {relation!r}; filter by its id "
                f"({_snake(relation)}_id) instead, or query that resource first."
            )

        name = _snake(key)
        field, _, lookup = name.partition("__")

        if isinstance(value, tuple):
            if len(value) != 2:
                raise ValueError(f"filter[{key!r}] takes (operator, value), got {value!r}.")
            operator, operand = value
            symbol = operator.value if isinstance(operator, FilterOperator) else operator
            if symbol not in _OPERATOR_LOOKUPS:
                raise ValueError(
                    f"filter[{key!r}]: unknown operator {operator!r}; use a flame_hub.types.FilterOperator member."
                )
            if lookup:
                raise ValueError(f"filter[{key!r}]: give either a lookup in the key or an operator, not both.")
            suffix = _OPERATOR_LOOKUPS[symbol]
            if operand is None and suffix in ("", "__ne"):
                lookups[f"{field}__isnull"] = suffix == ""
            else:
                lookups[field + suffix] = _filter_value(model, field, operand)
            continue

        if isinstance(value, (list, set, frozenset)) and not lookup:
            lookups[f"{field}__in"] = [_filter_value(model, field, item) for item in value]
        elif value is None and lookup in ("", "exact"):
            lookups[f"{field}__isnull"] = True
        else:
            lookups[name] = _filter_value(model, field, value)
    return lookups


def _order_keys(sort: Any) -> list[str]:
    """Translate ``sort={"by": "created_at", "order": "descending"}`` (or a list of them) into order_by() keys."""
    if sort is None:
        return []
    if isinstance(sort, str):
        return [sort[0] + _snake(sort[1:]) if sort.startswith("-") else _snake(sort)]
    if isinstance(sort, Mapping):
        unknown = set(sort) - {"by", "order"}
        if unknown:
            raise ValueError(f"sort= takes the keys 'by' and 'order', got {sorted(unknown)}.")
        by = sort.get("by")
        if by is None:
            return []
        order = sort.get("order", "ascending")
        if order not in ("ascending", "descending"):
            raise ValueError(f"sort['order'] must be 'ascending' or 'descending', got {order!r}.")
        return [("-" if order == "descending" else "") + _snake(by)]
    if isinstance(sort, Iterable):
        return [key for item in sort for key in _order_keys(item)]
    raise TypeError(f"sort= takes {{'by': ..., 'order': ...}}, got {type(sort).__name__} {sort!r}.")


def _page_bounds(page: Mapping[str, Any] | None) -> tuple[int, int | None]:
    """Return ``(offset, limit)`` of a ``page={"limit": ..., "offset": ...}`` argument; no limit means all rows."""
    if page is None:
        return 0, None
    if not isinstance(page, Mapping):
        raise TypeError(f"page= takes {{'limit': ..., 'offset': ...}}, got {type(page).__name__} {page!r}.")
    unknown = set(page) - {"limit", "offset"}
    if unknown:
        raise ValueError(f"page= takes the keys 'limit' and 'offset', got {sorted(unknown)}.")

    offset = page.get("offset", 0)
    limit = page.get("limit")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"page['offset'] must be an integer of 0 or more, got {offset!r}.")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValueError(f"page['limit'] must be an integer of 1 or more, got {limit!r}.")
    return offset, limit


def _check_auth_argument(auth: Any, method: str) -> None:
    if auth is not None:
        raise TypeError(
            f"{method}(auth=...) is not supported: a client sends every request with the credentials it "
            "was created with. Create a second client with the other credentials."
        )


def _resolve_auth(auth: Auth | str | None) -> Auth | None:
    """Return ``auth`` as a ``flame_hub.auth`` object; a string is an access token, as in the official client."""
    if auth is None or isinstance(auth, Auth):
        return auth
    if isinstance(auth, str):
        return StaticAuth(auth)
    raise TypeError(
        f"auth={type(auth).__name__} is invalid: pass flame_hub.auth.PasswordAuth, ClientAuth, StaticAuth, "
        "an access token string or None."
    )


def get_field_names(model: type[Model] | Model) -> tuple[str, ...]:
    """Return the names of ``model``'s hidden fields, which the Hub sends only when asked with ``fields=``."""
    return tuple(sorted(model._meta.hidden))


def get_includable_names(model: type[Model] | Model) -> tuple[str, ...]:
    """Return the names of the relations the Hub can embed in ``model``'s records with ``include=``."""
    return model._meta.includes


# --- the clients --------------------------------------------------------------------------------------


class _Client:
    """Base of the functional clients: one Session for one service, and the shared query code."""

    service: ClassVar[str]
    default_base_url: ClassVar[str]

    def __init__(
        self,
        base_url: str | None = None,
        auth: Auth | str | None = None,
        *,
        client: httpx2.Client | None = None,
        session: Session | None = None,
        **session_options: Any,
    ) -> None:
        if session is not None:
            if base_url is not None or auth is not None or client is not None or session_options:
                raise TypeError(f"{type(self).__name__}(session=...) takes no other arguments; configure the Session.")
            self._session = session
            self._owns_session = False
            return

        resolved = _resolve_auth(auth)
        if self.service != "auth" and resolved is not None and resolved.kind != "token" and resolved.base_url is None:
            raise errors.ConfigurationError(
                f"{type(self).__name__} cannot log in without the auth service's URL: pass it to the credentials, "
                "for example PasswordAuth(username, password, base_url='https://hub.example/auth/')."
            )

        # The official client always sends a request for get_<name>, so the identity map's
        # cache is off (cache_ttl=0); objects are still shared per id while referenced.
        session_options.setdefault("cache_ttl", 0.0)
        url = base_url or self.default_base_url
        self._session = Session(
            auth=resolved,
            client=client,
            auth_url=url if self.service == "auth" else None,
            core_url=url if self.service == "core" else None,
            storage_url=url if self.service == "storage" else None,
            **session_options,
        )
        self._owns_session = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._session.service_url(self.service)!r}>"

    def __enter__(self) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def session(self) -> Session:
        """The Session this client sends its requests through."""
        return self._session

    def close(self) -> None:
        """Close the client's Session, unless it was passed in with ``session=``."""
        if self._owns_session:
            self._session.close()

    # --- shared implementation of the generated methods -------------------------------------------

    def _queryset(self, model: type[Model], *, include: Any, fields: Any) -> Any:
        meta = model._meta
        queryset = model.objects.using(self._session)
        # Like the official client, embed every includable relation unless the caller passes include=.
        relations = list(meta.includes) if include is None else _names(include, "include")
        if relations:
            queryset = queryset.include(*relations)
        hidden = _names(fields, "fields")
        if hidden:
            queryset = queryset.fields(*hidden)
        return queryset

    def _find(
        self,
        model: type[Model],
        *,
        filter: Mapping[str, Any] | None = None,
        page: Mapping[str, Any] | None = None,
        sort: Any = None,
        include: Any = None,
        fields: Any = None,
        meta: bool = False,
    ) -> Any:
        offset, limit = _page_bounds(page)
        queryset = self._queryset(model, include=include, fields=fields)
        lookups = _filter_lookups(model, filter)
        if lookups:
            queryset = queryset.filter(**lookups)
        keys = _order_keys(sort)
        if keys:
            queryset = queryset.order_by(*keys)

        window = queryset[offset : None if limit is None else offset + limit]
        rows = list(window)
        if not meta:
            return rows
        # NOTE: the total costs one more request (a one-row page), because the QuerySet does not
        # keep the list meta of the pages it read.
        total = queryset.count()
        return rows, ResourceListMeta(total=total, limit=len(rows) if limit is None else limit, offset=offset)

    def _get(
        self, model: type[Model], record: Any, *, include: Any = None, fields: Any = None, meta: bool = False
    ) -> Any:
        record_id = _record_id(record, model)
        queryset = self._queryset(model, include=include, fields=fields)
        try:
            if meta:
                return self._get_with_meta(model, record_id, include=include, fields=fields)
            return queryset.get(id=record_id)
        except errors.NotFound as exc:
            # Only the Hub's "no such record" means None. A 404 without that code comes from a
            # wrong base URL or route, so it must not pass as a missing record.
            if exc.code == "entity_not_found":
                return None
            raise

    def _get_with_meta(self, model: type[Model], record_id: str, *, include: Any, fields: Any) -> Any:
        """Return ``(object, meta)`` of one record, ``meta`` being the response's ``meta`` object as sent."""
        meta = model._meta
        relations = list(meta.includes) if include is None else _names(include, "include")
        hidden = _names(fields, "fields")
        params = []
        if relations:
            params.append(("include", ",".join(meta.wire_name(name) for name in relations)))
        if hidden:
            params.append(("fields", ",".join("+" + meta.wire_name(name) for name in hidden)))

        body = self._session.request_json(meta.service, "GET", f"{meta.path}/{record_id}", params=params or None)
        response_meta = body.get("meta") if isinstance(body, Mapping) else None
        return model._from_hub(_unwrap(body), self._session), response_meta or {}

    def _bound(self, model: type[Model], record: Any) -> Any:
        """Return this Session's object for ``record`` without a request.

        When the Session holds no object for the id, the result is a placeholder that knows only
        the id. It stays out of the identity map, so a later query never takes it for a loaded
        record; ``_register`` adds it once a response has filled it.
        """
        record_id = _record_id(record, model)
        known = self._session.identity_map.get(model, record_id)
        if known is not None:
            return known

        placeholder = model._from_hub({"id": record_id}, None)
        placeholder._session = self._session
        return placeholder

    def _register(self, obj: Any) -> Any:
        """Return the identity map's object for ``obj`` once a response has filled ``obj``."""
        if set(obj.model_fields_set) <= {"id"}:
            return obj
        return self._session.identity_map.add(obj)

    def _create(self, model: type[Model], values: Mapping[str, Any]) -> Any:
        kinds = model._meta.kinds
        data = {
            name: check_id(value, what=f"{model.__name__}.{name}")
            if kinds.get(name) == "uuid" and value is not None
            else value
            for name, value in values.items()
        }
        obj = model(**data)
        obj.save(using=self._session)
        return obj

    def _update(self, model: type[Model], record: Any, changes: Mapping[str, Any]) -> Any:
        if not changes:
            # Nothing to send, so read the record: the caller still gets it filled in.
            return model.objects.using(self._session).get(id=_record_id(record, model))

        obj = self._bound(model, record)
        kinds = model._meta.kinds
        for name, value in changes.items():
            if kinds.get(name) == "uuid" and value is not None:
                value = check_id(value, what=f"{model.__name__}.{name}")
            setattr(obj, name, value)
        obj.save(update_fields=list(changes), using=self._session)
        return self._register(obj)

    def _delete(self, model: type[Model], record: Any) -> None:
        self._bound(model, record).delete(using=self._session)


# --- method generation ------------------------------------------------------------------------------


def _finish(function: Callable[..., Any], name: str, owner: type, doc: str, signature: inspect.Signature) -> None:
    function.__name__ = name
    function.__qualname__ = f"{owner.__name__}.{name}"
    function.__doc__ = doc
    function.__signature__ = signature  # type: ignore[attr-defined]
    setattr(owner, name, function)


def _self_param() -> inspect.Parameter:
    return inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _keyword(name: str, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)


def _install_list_methods(owner: type, model: type[Model]) -> None:
    meta = model._meta
    route = f"GET /{meta.service}/{meta.path}"

    def find(
        self: _Client,
        *,
        filter: Mapping[str, Any] | None = None,
        page: Mapping[str, Any] | None = None,
        sort: Any = None,
        include: Any = None,
        fields: Any = None,
        meta: bool = False,
        auth: Any = None,
    ) -> Any:
        _check_auth_argument(auth, f"find_{model._meta.plural}")
        return self._find(model, filter=filter, page=page, sort=sort, include=include, fields=fields, meta=meta)

    def get_all(
        self: _Client,
        *,
        page: Mapping[str, Any] | None = None,
        sort: Any = None,
        include: Any = None,
        fields: Any = None,
        meta: bool = False,
        auth: Any = None,
    ) -> Any:
        _check_auth_argument(auth, f"get_{model._meta.plural}")
        return self._find(model, page=page, sort=sort, include=include, fields=fields, meta=meta)

    names = ("filter", "page", "sort", "include", "fields", "meta", "auth")
    defaults = {"meta": False}
    find_signature = inspect.Signature([_self_param()] + [_keyword(name, defaults.get(name)) for name in names])
    get_signature = inspect.Signature(
        [_self_param()] + [_keyword(name, defaults.get(name)) for name in names if name != "filter"]
    )
    _finish(
        find,
        f"find_{meta.plural}",
        owner,
        f"Return the {model.__name__} records matching ``filter`` ({route}).\n\n"
        "Without ``page`` every matching record is returned, read in pages of 50. With\n"
        "``meta=True`` the result is ``(records, ResourceListMeta)``.",
        find_signature,
    )
    _finish(
        get_all,
        f"get_{meta.plural}",
        owner,
        f"Return every {model.__name__} record, or the ``page`` asked for ({route}).",
        get_signature,
    )


def _install_get_method(owner: type, model: type[Model]) -> None:
    meta = model._meta
    id_name = f"{meta.singular}_id"
    signature = inspect.Signature(
        [
            _self_param(),
            inspect.Parameter(id_name, inspect.Parameter.POSITIONAL_OR_KEYWORD),
            _keyword("include"),
            _keyword("fields"),
            _keyword("meta", False),
            _keyword("auth"),
        ]
    )

    def get_one(self: _Client, *args: Any, **kwargs: Any) -> Any:
        arguments = signature.bind(self, *args, **kwargs).arguments
        _check_auth_argument(arguments.get("auth"), f"get_{model._meta.singular}")
        return self._get(
            model,
            arguments[id_name],
            include=arguments.get("include"),
            fields=arguments.get("fields"),
            meta=arguments.get("meta", False),
        )

    _finish(
        get_one,
        f"get_{meta.singular}",
        owner,
        f"Return the {model.__name__} with this id (GET /{meta.service}/{meta.path}/{{id}}), or ``None``\n"
        "when the Hub responds with 404 ``entity_not_found``. Other errors raise. With ``meta=True`` the\n"
        "result is ``(object, meta)``, ``meta`` being the response's ``meta`` dict.",
        signature,
    )


def _create_params(model: type[Model]) -> tuple[_Param, ...]:
    meta = model._meta
    declared = _CREATE_PARAMS.get(meta.singular)
    if declared is not None:
        return declared

    writable = sorted(meta.writable_on_create)
    required = [name for name in writable if name in meta.required]
    optional = [name for name in writable if name not in meta.required]
    return tuple(_p(name) for name in required) + tuple(_p(name, None) for name in optional)


def _install_create_method(owner: type, model: type[Model]) -> None:
    meta = model._meta
    params = _create_params(model)
    by_name = {param.name: param for param in params}
    signature = inspect.Signature(
        [_self_param()]
        + [
            inspect.Parameter(
                param.name,
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=inspect.Parameter.empty if param.default is _REQUIRED else param.default,
            )
            for param in params
        ]
        + [_keyword("auth")]
    )

    def create(self: _Client, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        given = dict(bound.arguments)
        given.pop("self")
        _check_auth_argument(given.pop("auth", None), f"create_{model._meta.singular}")

        values: dict[str, Any] = {}
        _warn_not_sent(model, [name for name in given if by_name[name].target is None], "create")
        for name, param in by_name.items():
            target = param.target
            if target is None:
                continue
            if name in given:
                values[target] = given[name]
            elif param.default is not None and param.default is not _REQUIRED:
                # The official client sends its non-null defaults; the Hub's own defaults may differ.
                values[target] = param.default
        return self._create(model, values)

    _finish(
        create,
        f"create_{meta.singular}",
        owner,
        f"Create a {model.__name__} (POST /{meta.service}/{meta.path}) and return it.\n\n"
        "Omitted arguments whose default is ``None`` are not sent, so the Hub applies its own default.",
        signature,
    )


def _install_update_method(owner: type, model: type[Model]) -> None:
    meta = model._meta
    id_name = f"{meta.singular}_id"
    params = _UPDATE_PARAMS.get(meta.singular, ())
    by_name = {param.name: param for param in params}
    covered = {param.target for param in params}
    extra = [name for name in sorted(meta.updatable) if name not in covered and name not in by_name]
    signature = inspect.Signature(
        [_self_param(), inspect.Parameter(id_name, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + [inspect.Parameter(param.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=UNSET) for param in params]
        + [_keyword(name, UNSET) for name in extra]
        + [_keyword("auth")]
    )

    def update(self: _Client, *args: Any, **kwargs: Any) -> Any:
        given = dict(signature.bind(self, *args, **kwargs).arguments)
        given.pop("self")
        _check_auth_argument(given.pop("auth", None), f"update_{model._meta.singular}")
        record = given.pop(id_name)

        changes: dict[str, Any] = {}
        ignored = []
        for name, value in given.items():
            if value is UNSET:
                continue
            param = by_name.get(name)
            target = param.target if param is not None else name
            if target is None:
                ignored.append(name)
            else:
                changes[target] = value
        _warn_not_sent(model, ignored, "update")
        return self._update(model, record, changes)

    _finish(
        update,
        f"update_{meta.singular}",
        owner,
        f"Send the given fields of a {model.__name__} as an update (POST /{meta.service}/{meta.path}/{{id}})\n"
        "and return the updated object; fields not passed are left as they are.",
        signature,
    )


def _install_delete_method(owner: type, model: type[Model]) -> None:
    meta = model._meta
    id_name = f"{meta.singular}_id"
    signature = inspect.Signature(
        [_self_param(), inspect.Parameter(id_name, inspect.Parameter.POSITIONAL_OR_KEYWORD), _keyword("auth")]
    )

    def delete(self: _Client, *args: Any, **kwargs: Any) -> None:
        bound = signature.bind(self, *args, **kwargs)
        _check_auth_argument(bound.arguments.get("auth"), f"delete_{model._meta.singular}")
        self._delete(model, bound.arguments[id_name])

    _finish(
        delete,
        f"delete_{meta.singular}",
        owner,
        f"Delete a {model.__name__} (DELETE /{meta.service}/{meta.path}/{{id}}).",
        signature,
    )


def _install_resource_methods(owner: type[_Client]) -> None:
    """Add the generated methods of every resource of ``owner.service``; methods written in the class win."""
    # NOTE: methods added here exist only at run time, so mypy and IDEs report them as unknown
    # attributes; help() and inspect.signature() show their parameters.
    for model in RESOURCES:
        meta = model._meta
        if meta.service != owner.service:
            continue
        # Logs are read and deleted by their filters, not by id; their deletes are written out.
        by_filter = bool(meta.required_filters)
        installers = (
            ("list", f"find_{meta.plural}", _install_list_methods),
            ("get", f"get_{meta.singular}", _install_get_method),
            ("create", f"create_{meta.singular}", _install_create_method),
            ("update", f"update_{meta.singular}", _install_update_method),
            ("delete", f"delete_{meta.singular}", _install_delete_method),
        )
        for operation, name, install in installers:
            if not meta.supports(operation) or name in owner.__dict__:
                continue
            if by_filter and operation in ("get", "delete"):
                continue
            install(owner, model)


class AuthClient(_Client):
    """The auth service (Authup): realms, users, roles, permissions, clients and their links.

    ``base_url`` is the auth service's URL (``https://hub.example/auth/``). Methods are generated
    per resource: ``get_realms``, ``find_realms``, ``get_realm``, ``create_realm``,
    ``update_realm``, ``delete_realm`` and so on, as far as the Hub supports the operation.
    """

    service = "auth"
    default_base_url = DEFAULT_AUTH_BASE_URL


class CoreClient(_Client):
    """The core service: nodes, projects, analyses, registries, master images and their links.

    ``base_url`` is the core service's URL (``https://hub.example/core/``); the credentials need
    the auth service's URL as their ``base_url``. Besides the generated per-resource methods it
    has the actions of nodes, analyses, master images, registries and logs.
    """

    service = "core"
    default_base_url = DEFAULT_CORE_BASE_URL

    # --- nodes ---------------------------------------------------------------------------------------

    def get_node_registry_credentials(self, node_id: Any, *, auth: Any = None) -> RegistryCredentials | None:
        """Return the host and robot account of the node's registry project, or ``None`` for an unknown node."""
        _check_auth_argument(auth, "get_node_registry_credentials")
        node = self._bound(Node, node_id)
        return _none_if_not_found(node.registry_credentials)

    def get_node_client_credentials(self, node_id: Any, *, auth: Any = None) -> ClientCredentials | None:
        """Return the node's Authup client with its secret, or ``None`` for an unknown node."""
        _check_auth_argument(auth, "get_node_client_credentials")
        node = self._bound(Node, node_id)
        return _none_if_not_found(node.client_credentials)

    def update_node_client_credentials(
        self, node_id: Any, secret: Any = UNSET, name: Any = UNSET, display_name: Any = UNSET, *, auth: Any = None
    ) -> ClientCredentials:
        """Update the node's Authup client (POST ``nodes/{id}/client/credentials``); ``secret=None`` makes a new one."""
        _check_auth_argument(auth, "update_node_client_credentials")
        return self._update_credentials("nodes", Node, node_id, secret=secret, name=name, display_name=display_name)

    # --- master images ---------------------------------------------------------------------------------

    def sync_master_images(self, *, auth: Any = None) -> None:
        """Ask the Hub to sync its master image catalogue; the sync runs in the background."""
        _check_auth_argument(auth, "sync_master_images")
        manager = cast(MasterImageManager, MasterImage.objects)
        manager.sync(using=self._session)

    def build_master_image(self, master_image_id: Any, *, auth: Any = None) -> None:
        """Start building a master image."""
        _check_auth_argument(auth, "build_master_image")
        self._bound(MasterImage, master_image_id).build()

    # --- analyses ----------------------------------------------------------------------------------

    def send_analysis_command(self, analysis_id: Any, command: str, *, auth: Any = None) -> Analysis:
        """Run an analysis command such as ``"buildStart"`` and return the analysis with the Hub's new state."""
        _check_auth_argument(auth, "send_analysis_command")
        analysis = self._bound(Analysis, analysis_id)
        analysis.command(command)
        return self._register(analysis)

    def get_analysis_client_credentials(self, analysis_id: Any, *, auth: Any = None) -> ClientCredentials | None:
        """Return the analysis' Authup client with its secret, or ``None`` for an unknown analysis."""
        _check_auth_argument(auth, "get_analysis_client_credentials")
        analysis = self._bound(Analysis, analysis_id)
        return _none_if_not_found(analysis.client_credentials)

    def update_analysis_client_credentials(
        self, analysis_id: Any, secret: Any = UNSET, name: Any = UNSET, display_name: Any = UNSET, *, auth: Any = None
    ) -> ClientCredentials:
        """Update the analysis' Authup client; the Hub ignores ``name`` and ``display_name`` here."""
        _check_auth_argument(auth, "update_analysis_client_credentials")
        return self._update_credentials(
            "analyses", Analysis, analysis_id, secret=secret, name=name, display_name=display_name
        )

    # --- registries ----------------------------------------------------------------------------------

    def send_registry_command(self, registry_id: Any, command: str, *, auth: Any = None) -> None:
        """Run a registry service command (``"setup"``, ``"cleanup"`` or ``"delete"``) for a registry."""
        _check_auth_argument(auth, "send_registry_command")
        self._bound(Registry, registry_id).command(command)

    # --- logs ------------------------------------------------------------------------------------------

    def delete_analysis_logs(self, analysis_id: Any, *, auth: Any = None) -> None:
        """Delete every log record of an analysis (DELETE ``analysis-logs?filter[analysisId]=...``)."""
        _check_auth_argument(auth, "delete_analysis_logs")
        self._delete_logs(AnalysisLog, analysis_id=_record_id(analysis_id, Analysis))

    def delete_analysis_node_logs(self, analysis_id: Any, node_id: Any, *, auth: Any = None) -> None:
        """Delete every log record of one node in an analysis."""
        _check_auth_argument(auth, "delete_analysis_node_logs")
        self._delete_logs(
            AnalysisNodeLog, analysis_id=_record_id(analysis_id, Analysis), node_id=_record_id(node_id, Node)
        )

    # --- private helpers ---------------------------------------------------------------------------

    def _delete_logs(self, model: type[Model], **ids: str) -> None:
        # One DELETE with the id filters, as the official client sends it. The ORM's
        # QuerySet.delete() would first count the records with an extra GET.
        meta = model._meta
        params = [(f"filter[{meta.wire_name(name)}]", value) for name, value in ids.items()]
        self._session.request_json(meta.service, "DELETE", meta.path, params=params)

    def _update_credentials(self, path: str, model: type[Model], record: Any, **changes: Any) -> ClientCredentials:
        record_id = _record_id(record, model)
        body = {name: value for name, value in changes.items() if value is not UNSET}
        response = self._session.request_json("core", "POST", f"{path}/{record_id}/client/credentials", json=body)
        return ClientCredentials.model_validate(_unwrap(response))


class StorageClient(_Client):
    """The storage service: buckets and the files uploaded into them.

    ``base_url`` is the storage service's URL (``https://hub.example/storage/``); the credentials
    need the auth service's URL as their ``base_url``.
    """

    service = "storage"
    default_base_url = DEFAULT_STORAGE_BASE_URL

    def upload_to_bucket(self, bucket_id: Any, *upload_file: Mapping[str, Any], auth: Any = None) -> list[Any]:
        """Upload files into a bucket in one multipart request and return the new bucket files.

        Each file is a dict with ``file_name``, ``content`` (bytes, text or a binary file object)
        and optionally ``content_type`` (default ``application/octet-stream``).
        """
        _check_auth_argument(auth, "upload_to_bucket")
        parts = []
        for item in upload_file:
            if not isinstance(item, Mapping) or "file_name" not in item or "content" not in item:
                raise TypeError(f"Each file to upload is a dict with 'file_name' and 'content', got {item!r:.100}.")
            content = item["content"]
            if isinstance(content, str):
                # The official client sends text as it is; the ORM would read a string as a path.
                content = content.encode("utf-8")
            parts.append((item["file_name"], content, item.get("content_type") or "application/octet-stream"))
        return self._bound(Bucket, bucket_id).upload(*parts)

    def stream_bucket_tarball(self, bucket_id: Any, chunk_size: int = 1024, *, auth: Any = None) -> Iterator[bytes]:
        """Yield a tar archive of the bucket's files in chunks of ``chunk_size`` bytes."""
        _check_auth_argument(auth, "stream_bucket_tarball")
        record_id = _record_id(bucket_id, Bucket)
        return self._stream(f"buckets/{record_id}/stream", chunk_size)

    def stream_bucket_file(self, bucket_file_id: Any, chunk_size: int = 1024, *, auth: Any = None) -> Iterator[bytes]:
        """Yield the content of a bucket file in chunks of ``chunk_size`` bytes."""
        from flame_hub.models import BucketFile

        _check_auth_argument(auth, "stream_bucket_file")
        record_id = _record_id(bucket_file_id, BucketFile)
        return self._stream(f"bucket-files/{record_id}/stream", chunk_size)

    def _stream(self, path: str, chunk_size: int) -> Iterator[bytes]:
        response = self._session.request("storage", "GET", path, stream=True)
        try:
            yield from response.iter_bytes(chunk_size)
        finally:
            response.close()


def _none_if_not_found(read: Callable[[], Any]) -> Any:
    """Return ``read()``, or ``None`` when the Hub responds with 404 ``entity_not_found``."""
    try:
        return read()
    except errors.NotFound as exc:
        if exc.code == "entity_not_found":
            return None
        raise


for _client_class in (AuthClient, CoreClient, StorageClient):
    _install_resource_methods(_client_class)

del _client_class
