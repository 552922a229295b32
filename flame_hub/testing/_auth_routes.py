"""Route handlers of the fake Authup's entities: list, read, create, update, upsert and delete.

The generic handlers work from an ``EntitySpec``. The per-entity functions below validate
payloads, build records and apply Authup's special cases: reserved client names, the master
realm, hidden e-mails and secrets, and password hashes in responses.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._auth_base import (
    Handler,
    database_conflict,
    generate_secret,
    hash_password,
    internal_error,
    is_uuid,
    not_found,
    optional_identity,
    permission_denied,
    read_body,
    relation_conflict,
    relation_invalid,
    require_all,
    require_any,
    required_identity,
    unique_conflict,
    validation_error,
)
from ._auth_entities import (
    CLIENT,
    CLIENT_PERMISSION,
    ENTITIES,
    LEGACY_ENTITIES,
    LINKS,
    PERMISSION,
    REALM,
    ROBOT,
    ROBOT_PERMISSION,
    ROBOT_ROLE,
    ROLE,
    ROLE_PERMISSION,
    SCHEMAS,
    SPECS,
    USER,
    USER_PERMISSION,
    EntitySpec,
    find_record,
    full_view,
    present,
    relation_loader,
    require_writable,
    visible,
)
from ._auth_records import (
    RESERVED_CLIENT_NAMES,
    build_client,
    build_permission,
    build_permission_link,
    build_realm,
    build_robot,
    build_role,
    build_role_link,
    build_user,
)
from ._auth_validation import Payload
from ._errors import FakeHubError, authup_error_body
from ._query import RECORD_PARAMETERS, Query, decode_query, list_body, record_body
from ._state import HubState, Identity, now_iso

# Length limits of Authup's validators.
NAME_LENGTH = (3, 128)
DISPLAY_NAME_LENGTH = (3, 256)
DESCRIPTION_LENGTH = (5, 4096)
PASSWORD_LENGTH = (10, 256)
SECRET_LENGTH = (3, 256)


# -- payload rules ---------------------------------------------------------------------------------


def _texts(payload: Payload) -> None:
    """Validate the optional ``displayName`` and ``description`` most entities share."""
    low, high = DISPLAY_NAME_LENGTH
    payload.string("displayName", nullable=True, min_length=low, max_length=high)
    low, high = DESCRIPTION_LENGTH
    payload.string("description", nullable=True, min_length=low, max_length=high)


def _validate(spec: EntitySpec, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    """Validate ``body`` for ``spec`` and return the accepted values (create-only keys only on create)."""
    payload = Payload(body, creating=creating)
    if spec in (REALM, USER, ROLE, PERMISSION, CLIENT, ROBOT):
        payload.string("name", required=True, min_length=NAME_LENGTH[0], max_length=NAME_LENGTH[1], name_rule=True)

    if spec is REALM:
        _texts(payload)
    elif spec is USER:
        payload.string("email", required=True, email=True)
        payload.string("password", min_length=PASSWORD_LENGTH[0], max_length=PASSWORD_LENGTH[1])
        for key in ("displayName", "firstName", "lastName"):
            payload.string(key, nullable=True, min_length=NAME_LENGTH[0], max_length=NAME_LENGTH[1])
        payload.string("status", nullable=True)
        payload.string("statusMessage", nullable=True)
        payload.boolean("active")
        payload.boolean("nameLocked")
        if creating:
            payload.reference("realmId")
    elif spec in (ROLE, PERMISSION):
        _texts(payload)
        if spec is PERMISSION:
            payload.one_of("decisionStrategy", ("unanimous", "affirmative", "consensus"), nullable=True)
        if creating:
            payload.reference("clientId", nullable=True)
            payload.reference("realmId", nullable=True)
    elif spec is CLIENT:
        _texts(payload)
        payload.string("secret", nullable=True, min_length=SECRET_LENGTH[0], max_length=SECRET_LENGTH[1])
        payload.one_of("authMethod", ("none", "secret", "tls"))
        payload.one_of("tokenBindingMethod", ("none", "tls"))
        payload.boolean("active")
        for key in ("redirectUri", "postLogoutRedirectUri", "baseUrl", "rootUrl", "grantTypes", "scope"):
            payload.string(key, nullable=True)
        if creating:
            payload.reference("realmId")
    elif spec is ROBOT:
        payload.string("secret", min_length=SECRET_LENGTH[0], max_length=SECRET_LENGTH[1])
        _texts(payload)
        payload.boolean("active")
        if creating:
            payload.reference("realmId")
            payload.reference("userId", nullable=True)
    else:
        owner, other = (key for key in spec.relations)
        if creating:
            payload.reference(f"{owner}Id", required=True)
            payload.reference(f"{other}Id", required=True)
        if spec in (ROLE_PERMISSION, USER_PERMISSION, CLIENT_PERMISSION, ROBOT_PERMISSION):
            payload.reference("policyId", nullable=True)
            payload.one_of("realmScope", ("none", "own", "ownOrNull", "any"))
    return payload.check()


# -- record creation and updates --------------------------------------------------------------------


def _realm_for_create(state: HubState, identity: Identity, values: dict[str, Any], *, allow_global: bool) -> str | None:
    """Return the realm a new record goes to: the given ``realmId`` (checked), else the caller's realm."""
    if "realmId" not in values:
        return identity.realm_id
    realm_id = values["realmId"]
    if realm_id is None:
        if allow_global:
            return None
        return identity.realm_id
    if realm_id not in state.table("auth.realms"):
        raise relation_invalid("realm", "realmId")
    return str(realm_id)


def _duplicate(state: HubState, spec: EntitySpec, record: dict[str, Any], keys: tuple[str, ...]) -> bool:
    for other in state.table(spec.table).values():
        if other["id"] != record["id"] and all(other.get(key) == record.get(key) for key in keys):
            return True
    return False


_UNIQUE_KEYS = {
    "realm": ("name",),
    "user": ("name", "realmId"),
    "client": ("name", "realmId"),
    "robot": ("name", "realmId"),
    "role": ("name", "clientId", "realmId"),
    "permission": ("name", "clientId", "realmId"),
}


def _check_unique(state: HubState, spec: EntitySpec, record: dict[str, Any]) -> None:
    keys = _UNIQUE_KEYS.get(spec.key)
    if keys is None:
        owner, other = (f"{key}Id" for key in spec.relations)
        if _duplicate(state, spec, record, (owner, other)):
            raise relation_conflict(spec.label)
        return
    if _duplicate(state, spec, record, keys):
        # Authup pre-checks realms, users and clients; roles and permissions hit the database.
        raise database_conflict() if spec in (ROLE, PERMISSION) else unique_conflict()


def _create_record(state: HubState, spec: EntitySpec, identity: Identity, values: dict[str, Any]) -> dict[str, Any]:
    """Build a new record of ``spec`` from validated ``values``; raise the errors Authup sends."""
    if spec is REALM:
        record = build_realm(values["name"])
    elif spec is USER:
        realm_id = _realm_for_create(state, identity, values, allow_global=False)
        require_writable(spec, identity, realm_id, "create")
        record = build_user(values["name"], str(realm_id), email=values.get("email"), password=values.get("password"))
    elif spec in (ROLE, PERMISSION):
        realm_id = _realm_for_create(state, identity, values, allow_global=True)
        require_writable(spec, identity, realm_id, "create")
        client_id = values.get("clientId")
        if client_id is not None and client_id not in state.table("auth.clients"):
            raise relation_invalid("client", "clientId")
        record = build_role(values["name"], realm_id) if spec is ROLE else build_permission(values["name"], realm_id)
        record["clientId"] = client_id
    elif spec is CLIENT:
        if values["name"] in RESERVED_CLIENT_NAMES:
            raise validation_error(f"The client name '{values['name']}' is reserved.")
        realm_id = _realm_for_create(state, identity, values, allow_global=False)
        require_writable(spec, identity, realm_id, "create")
        auth_method = values.get("authMethod", "none")
        record = build_client(values["name"], str(realm_id), secret=values.get("secret"), auth_method=auth_method)
    elif spec is ROBOT:
        realm_id = _realm_for_create(state, identity, values, allow_global=False)
        require_writable(spec, identity, realm_id, "create")
        secret = values.get("secret") or generate_secret()
        record = build_robot(values["name"], str(realm_id), secret=secret)
        record["userId"] = values.get("userId")
        # Legacy Authup returned the plaintext secret once, in the create response.
        record["_plain_secret"] = secret
    else:
        return _create_link(state, spec, identity, values)

    _apply_values(spec, record, values, creating=True)
    _check_unique(state, spec, record)
    return record


def _create_link(state: HubState, spec: EntitySpec, identity: Identity, values: dict[str, Any]) -> dict[str, Any]:
    owner, other = (key for key in spec.relations)
    linked: dict[str, dict[str, Any]] = {}
    for name in (owner, other):
        target = SPECS[name]
        related = state.table(target.table).get(str(values[f"{name}Id"]))
        if related is None:
            raise relation_invalid(name, f"{name}Id")
        linked[name] = related
    require_writable(spec, identity, linked[owner].get("realmId"), "create")
    granted = linked[other]
    if granted.get("realmId") is not None or other == "role":
        # Only the master realm may hand out a global role, which could carry any permission.
        require_writable(spec, identity, granted.get("realmId"), "create")
    elif granted["name"] not in state.permission_names(identity):
        # A global permission may only be passed on by an identity that has it.
        raise permission_denied((f"{spec.permission}_create",), identity)

    if other == "permission":
        record = build_permission_link(f"{owner}Id", linked[owner], linked[other])
        for key in ("policyId", "realmScope"):
            if key in values:
                record[key] = values[key]
    else:
        record = build_role_link(f"{owner}Id", linked[owner], linked[other])
    _check_unique(state, spec, record)
    return record


def _apply_values(spec: EntitySpec, record: dict[str, Any], values: dict[str, Any], *, creating: bool) -> None:
    """Copy validated ``values`` into ``record``, with Authup's defaults for cleared display names and secrets.

    The record builders have set the name, realm, owner and, on create, the secret already.
    """
    for key, value in values.items():
        if key in ("realmId", "clientId", "userId"):
            continue
        if key == "name" and creating:
            continue
        if key == "secret" and spec is CLIENT and creating:
            continue

        if key == "password":
            record["password"] = hash_password(value) if value else None
        elif key == "secret" and spec is ROBOT:
            record["secret"] = hash_password(value)
        else:
            record[key] = value

    if spec in (USER, CLIENT) and record.get("displayName") is None:
        # Users and clients show their name when the display name is cleared.
        record["displayName"] = record["name"]
    if spec is CLIENT and record.get("authMethod") == "secret" and not record.get("secret"):
        # A client that authenticates with a secret always has one: Authup generates it.
        record["secret"] = generate_secret()


# -- responses ---------------------------------------------------------------------------------------


def _created_view(state: HubState, spec: EntitySpec, record: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    if spec in LINKS or spec in (ROBOT_PERMISSION, ROBOT_ROLE):
        view = present(spec, record)
        for name, (target_key, foreign_key) in spec.relations.items():
            target = SPECS[target_key]
            view[name] = present(target, state.table(target.table)[record[foreign_key]])
        return view
    if spec is ROBOT:
        view = present(spec, record)
        view["secret"] = record.pop("_plain_secret", None)
        return view
    view = full_view(spec, record)
    if spec is USER and "realmId" in body:
        # Authup loads the realm it checked and sends it along.
        view["realm"] = present(REALM, state.table("auth.realms")[record["realmId"]])
    return view


def _updated_view(spec: EntitySpec, record: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    view = full_view(spec, record)
    if spec is USER:
        # The update response contains the new password hash only when one was sent, and the e-mail likewise.
        view["password"] = record["password"] if "password" in values else None
        if "email" not in values:
            view.pop("email", None)
    return view


def _envelope(data: Any, status: int) -> JSONResponse:
    return JSONResponse({"data": data, "meta": {}}, status_code=status)


# -- access checks ------------------------------------------------------------------------------------


def _is_self(identity: Identity | None, spec: EntitySpec, record: dict[str, Any]) -> bool:
    return identity is not None and identity.kind == spec.key and identity.id == record.get("id")


def _read_identity(state: HubState, spec: EntitySpec, request: Request) -> Identity | None:
    """Authenticate a read: realms are public, clients reject anonymous callers with 403, the rest with 401."""
    if spec is REALM:
        return optional_identity(state, request)
    if spec is CLIENT:
        return optional_identity(state, request)
    return required_identity(state, request)


def _require_read(state: HubState, spec: EntitySpec, identity: Identity | None) -> None:
    if spec is REALM:
        return
    prefix = spec.permission
    require_any(state, identity, f"{prefix}_read", f"{prefix}_update", f"{prefix}_delete")


def _record_query(spec: EntitySpec, request: Request) -> Query:
    parameters = RECORD_PARAMETERS if spec.record_include else ("fields",)
    query = decode_query(request.url.query, spec.schema, SCHEMAS, parameters=parameters)
    _keep_key_fields(spec, query)
    return query


def _keep_key_fields(spec: EntitySpec, query: Query) -> None:
    """Keep ``id`` and the realm columns in a ``fields`` selection: Authup's read checks need them."""
    selected = query.fields.get("")
    if selected is None:
        return
    if "id" not in selected:
        selected.insert(0, "id")
    for key in spec.realm_keys:
        if key != "id" and key not in selected:
            selected.append(key)


# -- generic handlers ---------------------------------------------------------------------------------


def list_handler(state: HubState, spec: EntitySpec) -> Handler:
    async def handler(request: Request) -> Response:
        identity = _read_identity(state, spec, request)
        _require_read(state, spec, identity)
        query = decode_query(request.url.query, spec.schema, SCHEMAS)
        _keep_key_fields(spec, query)

        records = [record for record in state.table(spec.table).values() if visible(spec, identity, record)]
        realm = request.path_params.get("realm")
        if realm is not None:
            realm_id = find_record(state, REALM, realm, identity)["id"]
            records = [record for record in records if record.get("realmId") == realm_id]
        return JSONResponse(list_body(records, query, spec.schema, SCHEMAS, relation_loader(state)))

    return handler


def _self_record(state: HubState, spec: EntitySpec, identity: Identity | None) -> dict[str, Any]:
    if identity is None:
        raise permission_denied((f"{spec.permission}_read",), identity)
    if identity.kind != spec.key:
        raise not_found()
    record = state.table(spec.table).get(identity.id)
    if record is None:
        raise not_found()
    return record


def read_handler(state: HubState, spec: EntitySpec) -> Handler:
    async def handler(request: Request) -> Response:
        identity = _read_identity(state, spec, request)
        identifier = request.path_params["id"]
        if identifier in ("@me", "@self") and spec in (USER, CLIENT, ROBOT):
            record = _self_record(state, spec, identity)
        else:
            realm_id = _realm_param(state, request, identity)
            record = find_record(state, spec, identifier, identity, realm_id=realm_id)
            if not _is_self(identity, spec, record):
                _require_read(state, spec, identity)
                if not visible(spec, identity, record):
                    raise not_found()
        query = _record_query(spec, request)
        return JSONResponse(record_body(record, query, spec.schema, SCHEMAS, relation_loader(state)))

    return handler


def _realm_param(state: HubState, request: Request, identity: Identity | None) -> str | None:
    realm = request.path_params.get("realm")
    if realm is None:
        return None
    return str(find_record(state, REALM, realm, identity)["id"])


def create_handler(state: HubState, spec: EntitySpec) -> Handler:
    async def handler(request: Request) -> Response:
        identity = required_identity(state, request)
        require_all(state, identity, f"{spec.permission}_create")
        body = await read_body(request)
        record = create_record(state, spec, identity, body)
        return _envelope(_created_view(state, spec, record, body), 201)

    return handler


def create_record(
    state: HubState, spec: EntitySpec, identity: Identity, body: dict[str, Any], *, record_id: str | None = None
) -> dict[str, Any]:
    """Validate ``body``, insert the new record of ``spec`` and return it; raise Authup's error responses."""
    values = _validate(spec, body, creating=True)
    record = _create_record(state, spec, identity, values)
    if record_id is not None:
        record["id"] = record_id
    state.table(spec.table)[record["id"]] = record
    return record


def update_handler(state: HubState, spec: EntitySpec) -> Handler:
    async def handler(request: Request) -> Response:
        identity = required_identity(state, request)
        identifier = request.path_params["id"]
        if identifier in ("@me", "@self") and spec in (USER, CLIENT):
            record = _self_record(state, spec, identity)
        else:
            record = find_record(state, spec, identifier, identity, realm_id=_realm_param(state, request, identity))
        body = await read_body(request)
        values = _update_record(state, spec, identity, record, body)
        return _envelope(_updated_view(spec, record, values), 202)

    return handler


def _update_record(
    state: HubState, spec: EntitySpec, identity: Identity, record: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    if not _is_self(identity, spec, record):
        require_all(state, identity, f"{spec.permission}_update")
        require_writable(spec, identity, record.get("realmId") if spec is not REALM else record["id"], "update")
    values = _validate(spec, body, creating=False)

    if spec is REALM and record.get("name") == "master" and values.get("name", "master") != "master":
        raise validation_error("The name of the master can not be changed.")
    if spec is CLIENT and values.get("name") in RESERVED_CLIENT_NAMES and values["name"] != record["name"]:
        raise validation_error(f"The client name '{values['name']}' is reserved.")

    candidate = dict(record)
    _apply_values(spec, candidate, values, creating=False)
    _check_unique(state, spec, candidate)
    candidate["updatedAt"] = now_iso()
    record.update(candidate)
    return values


def upsert_handler(state: HubState, spec: EntitySpec) -> Handler:
    """Return the ``PUT /x/{id}`` handler: update the record if it exists (202), else create it (201)."""

    async def handler(request: Request) -> Response:
        identity = required_identity(state, request)
        identifier = request.path_params["id"]
        body = await read_body(request)
        try:
            record = find_record(state, spec, identifier, identity)
        except FakeHubError as error:
            # Both the 404 and the 500 for a name on an id-only entity mean the record is not there.
            if error.status not in (404, 500):
                raise
            require_all(state, identity, f"{spec.permission}_create")
            if not is_uuid(identifier) and "name" not in body:
                body = {**body, "name": identifier}
            record = create_record(state, spec, identity, body, record_id=identifier if is_uuid(identifier) else None)
            return _envelope(_created_view(state, spec, record, body), 201)
        values = _update_record(state, spec, identity, record, body)
        return _envelope(_updated_view(spec, record, values), 202)

    return handler


def delete_handler(state: HubState, spec: EntitySpec) -> Handler:
    async def handler(request: Request) -> Response:
        identity = required_identity(state, request)
        identifier = request.path_params["id"]
        if not is_uuid(identifier):
            # Authup deletes by primary key, so Postgres rejects a name as an invalid UUID.
            raise internal_error()
        record = find_record(state, spec, identifier, identity, realm_id=_realm_param(state, request, identity))
        require_all(state, identity, f"{spec.permission}_delete")
        realm_id = record["id"] if spec is REALM else record.get("realmId")
        if spec in LINKS or spec in (ROBOT_PERMISSION, ROBOT_ROLE):
            owner = next(iter(spec.relations))
            realm_id = record.get(f"{owner}RealmId")
        require_writable(spec, identity, realm_id, "delete")
        if spec is REALM and record.get("builtIn"):
            raise validation_error("A built-in realm can not be deleted.")

        delete_record(state, spec, record)
        return _envelope(present(spec, record), 202)

    return handler


# Tables that refer to a deleted record, by the key they refer with.
_REFERENCES = {
    "userId": ("auth.user_roles", "auth.user_permissions"),
    "clientId": ("auth.client_roles", "auth.client_permissions", "auth.roles", "auth.permissions"),
    "robotId": ("auth.robot_roles", "auth.robot_permissions"),
    "roleId": ("auth.role_permissions", "auth.user_roles", "auth.client_roles", "auth.robot_roles"),
    "permissionId": (
        "auth.role_permissions",
        "auth.user_permissions",
        "auth.client_permissions",
        "auth.robot_permissions",
    ),
}


def delete_record(state: HubState, spec: EntitySpec, record: dict[str, Any]) -> None:
    """Remove ``record`` and, like Authup's foreign keys, everything that refers to it; end its logins."""
    state.table(spec.table).pop(record["id"], None)
    if spec is REALM:
        for member in (USER, CLIENT, ROLE, PERMISSION, ROBOT):
            for other in [row for row in state.table(member.table).values() if row.get("realmId") == record["id"]]:
                delete_record(state, member, other)
        return
    if spec in (USER, CLIENT, ROBOT):
        state.revoke_identity(spec.key, record["id"])
    foreign_key = f"{spec.key}Id"
    for table_name in _REFERENCES.get(foreign_key, ()):
        table = state.table(table_name)
        target = next((candidate for candidate in SPECS.values() if candidate.table == table_name), None)
        for row in [row for row in table.values() if row.get(foreign_key) == record["id"]]:
            if target is not None and target not in LINKS and target not in (ROBOT_PERMISSION, ROBOT_ROLE):
                delete_record(state, target, row)
            else:
                table.pop(row["id"], None)


def permission_check_handler(state: HubState) -> Handler:
    """Return the handler of ``POST /permissions/{id}/check``: evaluate the permission for the caller."""

    async def handler(request: Request) -> Response:
        identity = required_identity(state, request)
        record = find_record(state, PERMISSION, request.path_params["id"], identity)
        name = record["name"]
        if name in state.permission_names(identity):
            return JSONResponse({"status": "success"}, status_code=202)

        error = FakeHubError(
            403,
            "permission_evaluation_failed",
            f"The evaluation of permissions {name} failed",
            [
                {
                    "type": "item",
                    "code": "permission_not_found",
                    "message": f"The {name} permission could not be resolved",
                    "path": [name],
                }
            ],
            name="PermissionError",
            instanceof=["@authup/access/PermissionError"],
        )
        return JSONResponse({"status": "error", "data": authup_error_body(error)}, status_code=202)

    return handler


# -- route table -------------------------------------------------------------------------------------


def entity_routes(state: HubState) -> list[Route]:
    """Return the routes of every Authup entity (and of robots when ``state.legacy_robots`` is set)."""
    specs: list[EntitySpec] = [*ENTITIES, *LINKS]
    if state.legacy_robots:
        specs.extend(LEGACY_ENTITIES)

    routes: list[Route] = [
        Route("/permissions/{id}/check", permission_check_handler(state), methods=["POST"]),
    ]
    for spec in specs:
        base = f"/{spec.route}"
        routes.append(Route(base, list_handler(state, spec), methods=["GET"]))
        routes.append(Route(base, create_handler(state, spec), methods=["POST"]))
        routes.append(Route(base + "/{id}", read_handler(state, spec), methods=["GET"]))
        routes.append(Route(base + "/{id}", delete_handler(state, spec), methods=["DELETE"]))
        if spec in LINKS or spec in (ROBOT_PERMISSION, ROBOT_ROLE):
            continue
        routes.append(Route(base + "/{id}", update_handler(state, spec), methods=["POST"]))
        routes.append(Route(base + "/{id}", upsert_handler(state, spec), methods=["PUT"]))
        if spec is not REALM:
            routes.append(Route("/realms/{realm}" + base, list_handler(state, spec), methods=["GET"]))
            routes.append(Route("/realms/{realm}" + base + "/{id}", read_handler(state, spec), methods=["GET"]))
    return routes
