"""Records of the fake Authup service: their keys, how new ones are built, and the seeded data.

Records keep every column, in the order Authup sends them; the entity specs in
``_auth_entities`` decide which of them a response shows. Other parts of the fake Hub (the core
service provisions node and analysis clients) may call the ``add_*`` functions here.
"""

from __future__ import annotations

from typing import Any

from ._auth_base import generate_secret, hash_password
from ._state import HubState, Identity, new_id, now_iso

# Permissions of the Hub's own services, checked by the core and storage services.
HUB_PERMISSIONS = (
    "event_create",
    "event_delete",
    "bucket_create",
    "bucket_update",
    "bucket_delete",
    "log_create",
    "log_delete",
    "log_read",
    "project_create",
    "project_delete",
    "project_update",
    "project_approve",
    "registry_manage",
    "registry_project_manage",
    "node_create",
    "node_delete",
    "node_update",
    "analysis_approve",
    "analysis_update",
    "analysis_create",
    "analysis_execution_start",
    "analysis_execution_stop",
    "analysis_delete",
    "analysis_result_read",
    "analysis_self_message_broker_use",
    "analysis_self_storage_use",
    "master_image_manage",
    "master_image_group_manage",
    "service_manage",
)

# Authup's own permissions (``<entity>_<action>``), in the order a real Authup lists them.
AUTHUP_PERMISSIONS = (
    "client_create",
    "client_delete",
    "client_update",
    "client_read",
    "client_self_manage",
    "client_permission_create",
    "client_permission_delete",
    "client_permission_read",
    "client_permission_update",
    "client_role_create",
    "client_role_delete",
    "client_role_update",
    "client_role_read",
    "client_scope_create",
    "client_scope_delete",
    "client_scope_read",
    "consent_read",
    "consent_delete",
    "event_read",
    "identity_provider_create",
    "identity_provider_delete",
    "identity_provider_update",
    "identity_provider_read",
    "identity_provider_account_read",
    "identity_provider_account_delete",
    "identity_provider_role_create",
    "identity_provider_role_delete",
    "identity_provider_role_update",
    "identity_provider_role_read",
    "key_create",
    "key_delete",
    "key_update",
    "key_read",
    "permission_create",
    "permission_delete",
    "permission_update",
    "permission_read",
    "realm_create",
    "realm_delete",
    "realm_update",
    "realm_read",
    "role_create",
    "role_delete",
    "role_update",
    "role_read",
    "role_permission_create",
    "role_permission_delete",
    "role_permission_read",
    "role_permission_update",
    "scope_create",
    "scope_delete",
    "scope_update",
    "scope_read",
    "session_read",
    "session_delete",
    "user_create",
    "user_delete",
    "user_update",
    "user_read",
    "user_self_manage",
    "user_authenticator_create",
    "user_authenticator_delete",
    "user_authenticator_update",
    "user_authenticator_read",
    "user_permission_create",
    "user_permission_delete",
    "user_permission_read",
    "user_permission_update",
    "user_role_create",
    "user_role_delete",
    "user_role_update",
    "user_role_read",
    # Robots were removed in Authup 1.0.0-beta.54; the legacy mode still checks these.
    "robot_create",
    "robot_delete",
    "robot_update",
    "robot_read",
    "robot_permission_create",
    "robot_permission_delete",
    "robot_permission_read",
    "robot_role_create",
    "robot_role_delete",
    "robot_role_read",
)

ALL_PERMISSIONS = AUTHUP_PERMISSIONS + HUB_PERMISSIONS

# Client names Authup keeps for its own clients.
RESERVED_CLIENT_NAMES = ("system", "admin-console", "account-console")

ADMIN_USER_NAME = "admin"
ADMIN_PASSWORD = "start123"
ADMIN_EMAIL = "admin@example.com"
ADMIN_ROLE_NAME = "admin"
SYSTEM_CLIENT_NAME = "system"
SYSTEM_CLIENT_SECRET = "start123"


# -- record builders -------------------------------------------------------------------------------


def _stamp(record: dict[str, Any]) -> dict[str, Any]:
    moment = now_iso()
    record["createdAt"] = moment
    record["updatedAt"] = moment
    return record


def build_realm(name: str, *, display_name: str | None = None, description: str | None = None) -> dict[str, Any]:
    """Return a new realm record."""
    record = {
        "id": new_id(),
        "name": name,
        "displayName": display_name,
        "description": description,
        "builtIn": False,
    }
    return _stamp(record)


def build_user(name: str, realm_id: str, *, email: str | None = None, password: str | None = None) -> dict[str, Any]:
    """Return a new user record; ``password`` is stored as a hash."""
    record: dict[str, Any] = {
        "id": new_id(),
        "name": name,
        "nameLocked": True,
        "firstName": None,
        "lastName": None,
        "displayName": name,
        "email": email,
        "password": hash_password(password) if password else None,
        "avatar": None,
        "cover": None,
        "resetHash": None,
        "resetAt": None,
        "resetExpires": None,
        "status": None,
        "statusMessage": None,
        "active": True,
        "activateHash": None,
    }
    _stamp(record)
    record["realmId"] = realm_id
    return record


def build_client(name: str, realm_id: str, *, secret: str | None = None, auth_method: str = "secret") -> dict[str, Any]:
    """Return a new client record; ``auth_method="secret"`` without a secret generates one."""
    if auth_method == "secret" and secret is None:
        secret = generate_secret()
    record: dict[str, Any] = {
        "id": new_id(),
        "active": True,
        "builtIn": False,
        "authMethod": auth_method,
        "tokenBindingMethod": "none",
        "name": name,
        "displayName": name,
        "description": None,
        "secret": secret,
        "secretHashed": False,
        "secretEncrypted": False,
        "redirectUri": None,
        "postLogoutRedirectUri": None,
        "accessPolicyId": None,
        "grantTypes": None,
        "scope": None,
        "baseUrl": None,
        "rootUrl": None,
    }
    _stamp(record)
    record["realmId"] = realm_id
    return record


def build_role(name: str, realm_id: str | None) -> dict[str, Any]:
    """Return a new role record; ``realm_id=None`` makes a global role."""
    record = {
        "id": new_id(),
        "builtIn": False,
        "name": name,
        "displayName": None,
        "description": None,
        "target": None,
        "clientId": None,
        "realmId": realm_id,
    }
    return _stamp(record)


def build_permission(name: str, realm_id: str | None, *, built_in: bool = False) -> dict[str, Any]:
    """Return a new permission record; ``realm_id=None`` makes a global permission."""
    record = {
        "id": new_id(),
        "builtIn": built_in,
        "name": name,
        "displayName": None,
        "description": None,
        "decisionStrategy": None,
        "clientId": None,
        "realmId": realm_id,
    }
    return _stamp(record)


def build_robot(name: str, realm_id: str, *, secret: str | None = None) -> dict[str, Any]:
    """Return a new robot record (legacy mode); the secret is stored as a hash, like Authup did."""
    record: dict[str, Any] = {
        "id": new_id(),
        "name": name,
        "displayName": name,
        "description": None,
        "active": True,
        "secret": hash_password(secret) if secret else None,
        "userId": None,
    }
    _stamp(record)
    record["realmId"] = realm_id
    return record


# Relations: owner kind → (table of the permission relation, table of the role relation, key).
RELATION_OWNERS = {
    "user": ("auth.user_permissions", "auth.user_roles", "userId"),
    "client": ("auth.client_permissions", "auth.client_roles", "clientId"),
    "robot": ("auth.robot_permissions", "auth.robot_roles", "robotId"),
    "role": ("auth.role_permissions", None, "roleId"),
}


def build_permission_link(owner_key: str, owner: dict[str, Any], permission: dict[str, Any]) -> dict[str, Any]:
    """Return a new ``*-permission`` relation record between ``owner`` and ``permission``."""
    prefix = owner_key[: -len("Id")]
    record: dict[str, Any] = {
        "id": new_id(),
        "policyId": None,
        "realmScope": "own",
        owner_key: owner["id"],
        f"{prefix}RealmId": owner.get("realmId"),
        "permissionId": permission["id"],
        "permissionRealmId": permission.get("realmId"),
    }
    return _stamp(record)


def build_role_link(owner_key: str, owner: dict[str, Any], role: dict[str, Any]) -> dict[str, Any]:
    """Return a new ``*-role`` relation record between ``owner`` and ``role``."""
    prefix = owner_key[: -len("Id")]
    record: dict[str, Any] = {
        "id": new_id(),
        "roleId": role["id"],
        "roleRealmId": role.get("realmId"),
        owner_key: owner["id"],
        f"{prefix}RealmId": owner.get("realmId"),
    }
    return _stamp(record)


# -- lookups ---------------------------------------------------------------------------------------


class _AnyRealm:
    """Marker for lookups by name in every realm, distinct from ``None`` (global records only)."""


ANY_REALM = _AnyRealm()


def find_by_name(
    state: HubState, table: str, name: str, realm_id: str | None | _AnyRealm = ANY_REALM
) -> dict[str, Any] | None:
    """Return the record of ``table`` called ``name`` (case-insensitive), in ``realm_id`` unless ``ANY_REALM``."""
    target_name = name.strip().lower()
    for record in state.table(table).values():
        if str(record.get("name", "")).lower() != target_name:
            continue
        if not isinstance(realm_id, _AnyRealm) and record.get("realmId") != realm_id:
            continue
        return record
    return None


def permission_by_name(state: HubState, name: str) -> dict[str, Any]:
    """Return the permission called ``name``, preferring a global one; raise ``KeyError`` if none exists."""
    matches = [record for record in state.table("auth.permissions").values() if record["name"] == name]
    if not matches:
        raise KeyError(f"No permission named {name!r} exists; create it first or use one of ALL_PERMISSIONS.")
    matches.sort(key=lambda record: record.get("realmId") is not None)
    return matches[0]


def grant_permissions(state: HubState, owner_kind: str, owner: dict[str, Any], names: tuple[str, ...]) -> None:
    """Grant the permissions called ``names`` directly to a user, client, robot or role record."""
    table, _, owner_key = RELATION_OWNERS[owner_kind]
    links = state.table(table)
    for name in names:
        permission = permission_by_name(state, name)
        exists = any(
            link[owner_key] == owner["id"] and link["permissionId"] == permission["id"] for link in links.values()
        )
        if not exists:
            link = build_permission_link(owner_key, owner, permission)
            links[link["id"]] = link


def grant_role(state: HubState, owner_kind: str, owner: dict[str, Any], role: dict[str, Any]) -> None:
    """Give ``role`` to a user, client or robot record."""
    _, table, owner_key = RELATION_OWNERS[owner_kind]
    assert table is not None
    link = build_role_link(owner_key, owner, role)
    state.table(table)[link["id"]] = link


def realm_of(state: HubState, realm: str) -> dict[str, Any]:
    """Return the realm record named or identified by ``realm``; raise ``KeyError`` if there is none."""
    realms = state.table("auth.realms")
    if realm in realms:
        return realms[realm]
    record = find_by_name(state, "auth.realms", realm)
    if record is None:
        raise KeyError(f"No realm {realm!r} exists; create it with create_realm() first.")
    return record


def identity_of(state: HubState, kind: str, record: dict[str, Any]) -> Identity:
    """Return the identity a token of the user, client or robot ``record`` carries."""
    realm = state.table("auth.realms").get(record["realmId"], {})
    return Identity(
        kind=kind, id=record["id"], name=record["name"], realm_id=record["realmId"], realm_name=realm.get("name", "")
    )


# -- helpers for tests and the other services -------------------------------------------------------


def add_realm(state: HubState, name: str) -> dict[str, Any]:
    """Insert a realm called ``name`` and return its record."""
    if find_by_name(state, "auth.realms", name) is not None:
        raise ValueError(f"A realm named {name!r} exists already; choose another name.")
    record = build_realm(name.strip().lower())
    state.table("auth.realms")[record["id"]] = record
    return record


def add_user(
    state: HubState,
    name: str,
    password: str,
    *,
    realm: str = "master",
    permissions: tuple[str, ...] = (),
    email: str | None = None,
) -> dict[str, Any]:
    """Insert a user of ``realm`` (name or id) holding ``permissions`` directly, and return its record."""
    realm_record = realm_of(state, realm)
    normalized = name.strip().lower()
    if find_by_name(state, "auth.users", normalized, realm_record["id"]) is not None:
        raise ValueError(f"A user named {normalized!r} exists in realm {realm_record['name']!r}; choose another name.")
    record = build_user(normalized, realm_record["id"], email=email or f"{normalized}@example.com", password=password)
    state.table("auth.users")[record["id"]] = record
    grant_permissions(state, "user", record, tuple(permissions))
    return record


def add_client(
    state: HubState,
    name: str,
    secret: str | None,
    *,
    realm: str = "master",
    permissions: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Insert a secret-authenticated client of ``realm`` holding ``permissions``, and return its record.

    ``secret=None`` generates a secret, which the returned record contains.
    """
    realm_record = realm_of(state, realm)
    normalized = name.strip().lower()
    if find_by_name(state, "auth.clients", normalized, realm_record["id"]) is not None:
        raise ValueError(
            f"A client named {normalized!r} exists in realm {realm_record['name']!r}; choose another name."
        )
    record = build_client(normalized, realm_record["id"], secret=secret)
    state.table("auth.clients")[record["id"]] = record
    grant_permissions(state, "client", record, tuple(permissions))
    return record


def issue_login(
    state: HubState,
    identity: Identity,
    *,
    with_refresh: bool,
    family: str | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:
    """Issue an access token (and a refresh token of the same family) and return the token response.

    ``family`` continues an existing login (refresh token rotation) instead of starting a new one.
    ``client_id`` binds the tokens to the client that authenticated the login.
    """
    access = state.issue_token(identity, "access", state.access_token_lifetime, family=family, client_id=client_id)
    body: dict[str, Any] = {
        "access_token": access.token,
        "expires_in": _whole_seconds(state.access_token_lifetime),
        "token_type": "Bearer",
        "scope": "global",
    }
    if with_refresh:
        refresh = state.issue_token(
            identity, "refresh", state.refresh_token_lifetime, family=access.family, client_id=client_id
        )
        body["refresh_token"] = refresh.token
        body["refresh_token_expires_in"] = _whole_seconds(state.refresh_token_lifetime)
    return body


def _whole_seconds(seconds: float) -> int:
    # Round up, so a lifetime below one second still reads as a token that expires.
    whole = int(seconds)
    return whole if whole == seconds else whole + 1


def issue_admin_token(state: HubState) -> str:
    """Issue and return an access token of the seeded admin user."""
    admin = state.table("auth.users")[state.known["admin_user_id"]]
    return str(issue_login(state, identity_of(state, "user", admin), with_refresh=False)["access_token"])


# -- seed ---------------------------------------------------------------------------------------------


def seed_auth(state: HubState) -> None:
    """Insert Authup's initial data: realm ``master``, every permission, role and user ``admin``, client ``system``."""
    master = build_realm("master")
    master["builtIn"] = True
    state.table("auth.realms")[master["id"]] = master
    state.known["master_realm_id"] = master["id"]

    permissions = state.table("auth.permissions")
    for name in ALL_PERMISSIONS:
        permission = build_permission(name, None, built_in=True)
        permissions[permission["id"]] = permission

    role = build_role(ADMIN_ROLE_NAME, None)
    role["builtIn"] = True
    state.table("auth.roles")[role["id"]] = role
    state.known["admin_role_id"] = role["id"]
    grant_permissions(state, "role", role, ALL_PERMISSIONS)

    admin = build_user(ADMIN_USER_NAME, master["id"], email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
    state.table("auth.users")[admin["id"]] = admin
    state.known["admin_user_id"] = admin["id"]
    grant_role(state, "user", admin, role)

    system = build_client(SYSTEM_CLIENT_NAME, master["id"], secret=SYSTEM_CLIENT_SECRET)
    system["builtIn"] = True
    state.table("auth.clients")[system["id"]] = system
    state.known["system_client_id"] = system["id"]
    # The Hub's services act through this client, so it has the admin role as well.
    grant_role(state, "client", system, role)
