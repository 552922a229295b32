"""Entity descriptions of the fake Authup: query schemas, response views, relations, lookups and scoping.

Each ``EntitySpec`` names a table, its routes and permissions, and the ``meta.schema`` Authup
1.0.0-beta.63 reports for it. The route handlers in ``_auth_routes`` work from these specs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._auth_base import internal_error, is_master, is_uuid, not_found, permission_denied
from ._query import RelationLoader, ResourceSchema
from ._state import HubState, Identity

# Every column of each record, in the order Authup sends them in create responses.
REALM_COLUMNS = ("id", "name", "displayName", "description", "builtIn", "createdAt", "updatedAt")
USER_COLUMNS = (
    "id",
    "name",
    "nameLocked",
    "firstName",
    "lastName",
    "displayName",
    "email",
    "password",
    "avatar",
    "cover",
    "resetHash",
    "resetAt",
    "resetExpires",
    "status",
    "statusMessage",
    "active",
    "activateHash",
    "createdAt",
    "updatedAt",
    "realmId",
)
USER_DEFAULT = (
    "id",
    "name",
    "nameLocked",
    "firstName",
    "lastName",
    "displayName",
    "avatar",
    "cover",
    "active",
    "status",
    "statusMessage",
    "createdAt",
    "updatedAt",
    "realmId",
)
CLIENT_COLUMNS = (
    "id",
    "active",
    "builtIn",
    "authMethod",
    "tokenBindingMethod",
    "name",
    "displayName",
    "description",
    "secret",
    "secretHashed",
    "secretEncrypted",
    "redirectUri",
    "postLogoutRedirectUri",
    "accessPolicyId",
    "grantTypes",
    "scope",
    "baseUrl",
    "rootUrl",
    "createdAt",
    "updatedAt",
    "realmId",
)
CLIENT_DEFAULT = (
    "id",
    "active",
    "builtIn",
    "name",
    "displayName",
    "description",
    "secretHashed",
    "secretEncrypted",
    "baseUrl",
    "rootUrl",
    "redirectUri",
    "postLogoutRedirectUri",
    "grantTypes",
    "scope",
    "authMethod",
    "tokenBindingMethod",
    "accessPolicyId",
    "realmId",
    "updatedAt",
    "createdAt",
)
ROLE_COLUMNS = (
    "id",
    "builtIn",
    "name",
    "displayName",
    "description",
    "target",
    "clientId",
    "realmId",
    "createdAt",
    "updatedAt",
)
PERMISSION_COLUMNS = (
    "id",
    "builtIn",
    "name",
    "displayName",
    "description",
    "decisionStrategy",
    "clientId",
    "realmId",
    "createdAt",
    "updatedAt",
)
ROBOT_COLUMNS = (
    "id",
    "name",
    "displayName",
    "description",
    "active",
    "secret",
    "userId",
    "realmId",
    "createdAt",
    "updatedAt",
)
ROBOT_DEFAULT = tuple(name for name in ROBOT_COLUMNS if name != "secret")


def _authup_schema(
    name: str,
    *,
    fields_default: tuple[str, ...] | None,
    fields_allowed: tuple[str, ...] | None,
    filters: tuple[str, ...],
    sorts: tuple[str, ...],
    relations: Mapping[str, str],
    extra_indexes: tuple[tuple[str, ...], ...],
) -> ResourceSchema:
    """Build an Authup query schema: not strict, indexed on ``id``, the timestamps and ``extra_indexes``."""
    return ResourceSchema(
        name=name,
        fields_default=fields_default,
        fields_allowed=fields_allowed,
        filters=filters,
        sorts=sorts,
        relations=relations,
        strict=False,
        indexes=(("id",), *extra_indexes, ("createdAt",), ("updatedAt",)),
        flavour="authup",
    )


@dataclass(frozen=True)
class EntitySpec:
    """One Authup entity: where it is stored, how it is routed, checked and shown.

    ``relations`` maps an includable relation to ``(entity key, foreign key)``. ``realm_keys``
    are the realm columns that scope reads and writes of identities outside the master realm.
    ``by_name`` lets record routes take a name instead of an id. ``record_include`` is false
    where Authup's record read ignores ``include``.
    """

    key: str
    table: str
    route: str
    permission: str
    schema: ResourceSchema
    columns: tuple[str, ...]
    relations: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    realm_keys: tuple[str, ...] = ("realmId",)
    by_name: bool = True
    record_include: bool = True
    label: str = ""

    @property
    def default_fields(self) -> tuple[str, ...]:
        return self.schema.default_fields or self.columns


def _link_schema(name: str, owner: str, other: str, *, permission_link: bool) -> ResourceSchema:
    """Return the schema of a relation entity such as ``rolePermission`` (owner ``role``, other ``permission``)."""
    owner_id, other_id = f"{owner}Id", f"{other}Id"
    default: tuple[str, ...]
    filters: tuple[str, ...]
    if permission_link:
        default = ("id", "policyId", "realmScope", other_id, f"{other}RealmId", owner_id, f"{owner}RealmId")
        filters = (owner_id, other_id, "id", f"{owner}RealmId", f"{other}RealmId", "policyId")
        pair = (other_id, owner_id)
        extra_indexes: tuple[tuple[str, ...], ...] = (
            (owner_id,),
            (f"{owner}RealmId",),
            (f"{other}RealmId",),
            ("policyId",),
        )
    else:
        default = ("id", owner_id, f"{owner}RealmId", other_id, f"{other}RealmId")
        filters = (owner_id, other_id, "id", f"{owner}RealmId", f"{other}RealmId")
        pair = (other_id, owner_id)
        extra_indexes = ((owner_id,), (f"{owner}RealmId",), (f"{other}RealmId",))
    return _authup_schema(
        name,
        fields_default=(*default, "createdAt", "updatedAt"),
        fields_allowed=None,
        filters=filters,
        sorts=("id", "createdAt", "updatedAt"),
        relations={owner: owner, other: other},
        extra_indexes=(pair, *extra_indexes),
    )


REALM = EntitySpec(
    key="realm",
    table="auth.realms",
    route="realms",
    permission="realm",
    schema=_authup_schema(
        "realm",
        fields_default=None,
        fields_allowed=REALM_COLUMNS,
        filters=("id", "builtIn", "displayName", "name"),
        sorts=("id", "name", "createdAt", "updatedAt"),
        relations={},
        extra_indexes=(("name",), ("builtIn",), ("displayName",)),
    ),
    columns=REALM_COLUMNS,
    realm_keys=("id",),
)
USER = EntitySpec(
    key="user",
    table="auth.users",
    route="users",
    permission="user",
    schema=_authup_schema(
        "user",
        fields_default=USER_DEFAULT,
        fields_allowed=("email",),
        filters=("id", "name", "displayName", "realmId", "active"),
        sorts=("id", "name", "displayName", "createdAt", "updatedAt"),
        relations={"realm": "realm"},
        extra_indexes=(("name", "realmId"), ("displayName",), ("realmId",), ("active",)),
    ),
    columns=USER_COLUMNS,
    relations={"realm": ("realm", "realmId")},
)
ROLE = EntitySpec(
    key="role",
    table="auth.roles",
    route="roles",
    permission="role",
    schema=_authup_schema(
        "role",
        fields_default=None,
        fields_allowed=("id", "builtIn", "name", "displayName", "target", "description", "clientId", "realmId")
        + ("createdAt", "updatedAt"),
        filters=("id", "builtIn", "name", "displayName", "target", "clientId", "realmId"),
        sorts=("id", "name", "updatedAt", "createdAt"),
        relations={"realm": "realm"},
        extra_indexes=(
            ("name", "clientId", "realmId"),
            ("displayName",),
            ("builtIn",),
            ("target",),
            ("clientId",),
            ("realmId",),
        ),
    ),
    columns=ROLE_COLUMNS,
    relations={"realm": ("realm", "realmId")},
    record_include=False,
)
PERMISSION = EntitySpec(
    key="permission",
    table="auth.permissions",
    route="permissions",
    permission="permission",
    schema=_authup_schema(
        "permission",
        fields_default=None,
        fields_allowed=PERMISSION_COLUMNS,
        filters=("id", "displayName", "name", "builtIn", "realmId", "clientId"),
        sorts=("id", "name", "createdAt", "updatedAt"),
        relations={},
        extra_indexes=(("name", "clientId", "realmId"), ("displayName",), ("builtIn",), ("realmId",), ("clientId",)),
    ),
    columns=PERMISSION_COLUMNS,
    record_include=False,
)
CLIENT = EntitySpec(
    key="client",
    table="auth.clients",
    route="clients",
    permission="client",
    schema=_authup_schema(
        "client",
        fields_default=CLIENT_DEFAULT,
        fields_allowed=("secret",),
        filters=("id", "name", "displayName", "realmId", "active", "builtIn"),
        sorts=("id", "createdAt", "updatedAt"),
        relations={"realm": "realm", "accessPolicy": "policy"},
        extra_indexes=(("name", "realmId"), ("displayName",), ("realmId",), ("active",), ("builtIn",)),
    ),
    columns=CLIENT_COLUMNS,
    relations={"realm": ("realm", "realmId"), "accessPolicy": ("policy", "accessPolicyId")},
)
ROBOT = EntitySpec(
    key="robot",
    table="auth.robots",
    route="robots",
    permission="robot",
    schema=_authup_schema(
        "robot",
        fields_default=ROBOT_DEFAULT,
        fields_allowed=(),
        filters=("id", "name", "realmId", "userId", "active"),
        sorts=("id", "name", "createdAt", "updatedAt"),
        relations={"realm": "realm", "user": "user"},
        extra_indexes=(("name", "realmId"), ("realmId",), ("userId",)),
    ),
    columns=ROBOT_COLUMNS,
    relations={"realm": ("realm", "realmId"), "user": ("user", "userId")},
)


def _link_spec(owner: str, other: str, route: str, table: str, *, permission_link: bool) -> EntitySpec:
    schema_name = owner + other[0].upper() + other[1:]
    return EntitySpec(
        key=schema_name,
        table=table,
        route=route,
        permission=f"{owner}_{other}",
        schema=_link_schema(schema_name, owner, other, permission_link=permission_link),
        columns=(),
        relations={owner: (owner, f"{owner}Id"), other: (other, f"{other}Id")},
        realm_keys=(f"{owner}RealmId", f"{other}RealmId"),
        by_name=False,
        # Authup reads one relation record by id alone, without decoding the query.
        record_include=False,
        label=f"{owner}-{other}",
    )


ROLE_PERMISSION = _link_spec("role", "permission", "role-permissions", "auth.role_permissions", permission_link=True)
USER_PERMISSION = _link_spec("user", "permission", "user-permissions", "auth.user_permissions", permission_link=True)
CLIENT_PERMISSION = _link_spec(
    "client", "permission", "client-permissions", "auth.client_permissions", permission_link=True
)
ROBOT_PERMISSION = _link_spec(
    "robot", "permission", "robot-permissions", "auth.robot_permissions", permission_link=True
)
USER_ROLE = _link_spec("user", "role", "user-roles", "auth.user_roles", permission_link=False)
CLIENT_ROLE = _link_spec("client", "role", "client-roles", "auth.client_roles", permission_link=False)
ROBOT_ROLE = _link_spec("robot", "role", "robot-roles", "auth.robot_roles", permission_link=False)

ENTITIES = (REALM, USER, ROLE, PERMISSION, CLIENT)
LINKS = (ROLE_PERMISSION, USER_PERMISSION, CLIENT_PERMISSION, USER_ROLE, CLIENT_ROLE)
LEGACY_ENTITIES = (ROBOT, ROBOT_PERMISSION, ROBOT_ROLE)
SPECS = {spec.key: spec for spec in (*ENTITIES, *LINKS, *LEGACY_ENTITIES)}
SCHEMAS: dict[str, ResourceSchema] = {spec.schema.name: spec.schema for spec in SPECS.values()}
_SPEC_BY_SCHEMA = {spec.schema.name: spec for spec in SPECS.values()}


# -- views ---------------------------------------------------------------------------------------


def present(spec: EntitySpec, record: Mapping[str, Any], *, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Return ``record`` as a default read shows it, plus the hidden keys in ``extra``."""
    keys = [key for key in spec.columns or spec.default_fields if key in spec.default_fields or key in extra]
    for key in spec.default_fields:
        if key not in keys:
            keys.append(key)
    return {key: record.get(key) for key in keys}


def full_view(spec: EntitySpec, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return every column of ``record``, as create responses show it."""
    return {key: record.get(key) for key in spec.columns or spec.default_fields}


def relation_loader(state: HubState) -> RelationLoader:
    """Return the callback with which the query engine fetches an included relation."""

    def load(schema: ResourceSchema, relation: str, record: Mapping[str, Any]) -> Any:
        spec = _SPEC_BY_SCHEMA.get(schema.name)
        if spec is None or relation not in spec.relations:
            return None
        target_key, foreign_key = spec.relations[relation]
        target = SPECS.get(target_key)
        related_id = record.get(foreign_key)
        if target is None or related_id is None:
            return None
        return state.table(target.table).get(related_id)

    return load


# -- lookups and scoping -----------------------------------------------------------------------------


def visible(spec: EntitySpec, identity: Identity | None, record: Mapping[str, Any]) -> bool:
    """Return whether ``identity`` may read ``record``.

    Identities of the master realm read every record, others only their own realm's and global ones.
    """
    if identity is None or is_master(identity) or spec is REALM:
        return True
    return any(record.get(key) in (None, identity.realm_id) for key in spec.realm_keys)


def writable_realm(identity: Identity, realm_id: str | None) -> bool:
    """Return whether ``identity`` may write a record of ``realm_id`` (``None``: a global record)."""
    return is_master(identity) or (realm_id is not None and realm_id == identity.realm_id)


def require_writable(spec: EntitySpec, identity: Identity, realm_id: str | None, action: str) -> None:
    """Raise 403 unless ``identity`` may ``action`` a record of ``spec`` in ``realm_id``."""
    if not writable_realm(identity, realm_id):
        raise permission_denied((f"{spec.permission}_{action}",), identity)


def find_record(
    state: HubState, spec: EntitySpec, identifier: str, identity: Identity | None, *, realm_id: str | None = None
) -> dict[str, Any]:
    """Return the record ``identifier`` (an id, or a name where Authup accepts one), or raise 404.

    A name is looked up in ``realm_id``, else in the caller's realm first and then in all realms.
    Entities that only take ids raise 500 for a non-UUID, because their database rejects it.
    """
    table = state.table(spec.table)
    if is_uuid(identifier):
        record = table.get(identifier.lower())
        if record is None or (realm_id is not None and record.get("realmId") != realm_id):
            raise not_found()
        return record
    if not spec.by_name:
        raise internal_error()

    target_name = identifier.strip().lower()
    candidates = [record for record in table.values() if str(record.get("name", "")).lower() == target_name]
    if realm_id is not None:
        candidates = [record for record in candidates if record.get("realmId") == realm_id]
    elif identity is not None and spec is not REALM:
        own = [record for record in candidates if record.get("realmId") == identity.realm_id]
        candidates = own or candidates
    if not candidates:
        raise not_found()
    return candidates[0]
