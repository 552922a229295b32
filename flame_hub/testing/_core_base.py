"""Shared plumbing of the fake Hub's core service: endpoints, bodies, lookups, envelopes and Authup clients."""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._core_schemas import SCHEMAS, TABLES
from ._core_validation import is_uuid
from ._errors import FakeHubError, hub_error_response
from ._query import RECORD_PARAMETERS, Query, ResourceSchema, decode_query, list_body, project, record_body
from ._state import HubState, Identity, new_id, now_iso

logger = logging.getLogger(__name__)

Handler = Callable[[Request, "Call"], Awaitable[Response]]

# Entity names the Hub uses in "The … was not found." messages.
ENTITY_NAMES = {
    "node": "node",
    "registry": "registry",
    "registryProject": "registry-project",
    "project": "project",
    "projectNode": "project-node",
    "analysis": "analysis",
    "analysisNode": "analysis-node",
    "analysisBucket": "analysis-bucket",
    "analysisBucketFile": "analysis-bucket-file",
    "analysisNodeEvent": "analysis-node-event",
    "masterImage": "master-image",
    "masterImageGroup": "master-image-group",
}

# Messages of the database's unique-key violations; the project service words its own pre-check differently.
CONFLICT_MESSAGE = "An entry with some unique attributes already exists."
DB_CONFLICT_MESSAGE = "A db entry with some unique attributes already exists."


class Call:
    """The state and the authenticated caller of one core request."""

    def __init__(self, state: HubState, identity: Identity | None) -> None:
        self.state = state
        self._identity = identity

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            raise FakeHubError(401, "identity_unauthorized", "Authentication required.")
        return self._identity

    def table(self, schema_name: str) -> dict[str, dict[str, Any]]:
        return self.state.table(TABLES[schema_name])

    def require(self, *permissions: str) -> None:
        self.state.require_permissions(self.identity, *permissions)

    def has(self, *permissions: str) -> bool:
        granted = self.state.permission_names(self.identity)
        return all(name in granted for name in permissions)

    def require_realm(self, realm_id: str | None) -> None:
        self.state.require_realm_writable(self.identity, realm_id)

    def may_write_realm(self, realm_id: str | None) -> bool:
        return self.state.realm_writable(self.identity, realm_id)

    def find(self, schema_name: str, record_id: str) -> dict[str, Any]:
        """Return the record ``record_id`` of ``schema_name``: 500 for a non-UUID id, 404 when unknown."""
        check_uuid(record_id)
        record = self.table(schema_name).get(record_id)
        if record is None:
            raise FakeHubError(404, "entity_not_found", f"The {ENTITY_NAMES[schema_name]} was not found.")
        return record

    def reference(self, schema_name: str, key: str, record_id: Any) -> dict[str, Any] | None:
        """Return the record a body's ``key`` points to, or raise 400 ``entity_relation_invalid``."""
        if record_id is None:
            return None
        record = self.table(schema_name).get(record_id)
        if record is None:
            raise FakeHubError(400, "entity_relation_invalid", f"Can't find {schema_name} entity by {key}")
        return record

    def load_relation(self, schema: ResourceSchema, relation: str, record: Mapping[str, Any]) -> Any:
        """Return the record ``relation`` of ``record`` points to; every core relation has a ``<relation>Id`` key."""
        target = (schema.relations or {}).get(relation)
        table = TABLES.get(target or "")
        key = record.get(f"{relation}Id")
        if table is None or key is None:
            return None
        return self.state.table(table).get(key)

    def embed(self, schema_name: str, record: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """Return ``record`` projected to its schema's default fields, for embedding in a mutation response."""
        if record is None:
            return None
        return project(record, Query(), SCHEMAS[schema_name], SCHEMAS, None)

    def creator_keys(self) -> dict[str, str | None]:
        """Return the ``userId``/``clientId``/``robotId`` triple of the caller, as the Hub stores a creator."""
        identity = self.identity
        return {
            "userId": identity.id if identity.kind == "user" else None,
            "clientId": identity.id if identity.kind == "client" else None,
            "robotId": identity.id if identity.kind == "robot" else None,
        }


def check_uuid(record_id: str) -> None:
    """Raise the Hub's 500 for an id that is not a UUID, as its database does."""
    if not is_uuid(record_id):
        raise FakeHubError(500, "internal_error", f'invalid input syntax for type uuid: "{record_id}"')


def endpoint(state: HubState, *, public: bool = False) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a core handler: authenticate, turn ``FakeHubError`` into the Hub's error body, log unexpected errors.

    A token that is sent but not active gets a 500 even on public routes, because the Hub
    introspects every bearer token before routing.
    """

    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            try:
                token = state.bearer_token(request)
                identity = state.hub_identity(request) if token is not None else None
                if identity is None and not public:
                    raise FakeHubError(401, "identity_unauthorized", "Authentication required.")
                # Read the body up front, so the handler's own read_body() returns the cached bytes
                # without yielding to the event loop while it changes the state.
                await request.body()
                return await handler(request, Call(state, identity))
            except FakeHubError as error:
                return hub_error_response(error)
            except Exception as error:
                logger.exception("Fake Hub core handler failed on %s %s", request.method, request.url.path)
                return hub_error_response(FakeHubError(500, "internal_error", f"Internal error: {error}"))

        return run

    return decorate


async def read_body(request: Request) -> Any:
    """Return the parsed JSON body (``{}`` when empty); malformed JSON is a 500, as on the Hub."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError as error:
        raise FakeHubError(500, "internal_error", f"invalid JSON: {error}") from None


def answer(data: Any, status: int) -> JSONResponse:
    """Return a mutation response ``{data, meta: {}}``."""
    return JSONResponse({"data": data, "meta": {}}, status_code=status)


def empty(status: int = 202) -> Response:
    """Return a response without body and without content type."""
    return Response(status_code=status)


def list_answer(request: Request, call: Call, schema: ResourceSchema, records: Any) -> JSONResponse:
    """Decode the request's query and return the collection envelope for ``records``."""
    query = decode_query(request.url.query, schema, SCHEMAS)
    body = list_body(list(records), query, schema, SCHEMAS, call.load_relation)
    return JSONResponse(body)


def record_answer(request: Request, call: Call, schema: ResourceSchema, record: Mapping[str, Any]) -> JSONResponse:
    """Decode ``fields`` and ``include`` of the request and return the record-read envelope."""
    query = decode_query(request.url.query, schema, SCHEMAS, parameters=RECORD_PARAMETERS)
    return JSONResponse(record_body(record, query, schema, SCHEMAS, call.load_relation))


def touch(record: dict[str, Any]) -> None:
    """Set ``updatedAt`` to now."""
    record["updatedAt"] = now_iso()


def stamp(record: dict[str, Any]) -> dict[str, Any]:
    """Set ``createdAt`` and ``updatedAt`` to now and return ``record``."""
    moment = now_iso()
    record["createdAt"] = moment
    record["updatedAt"] = moment
    return record


def default_view(schema_name: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return ``record`` limited to the schema's default fields (hidden fields such as secrets left out)."""
    return project(record, Query(), SCHEMAS[schema_name], SCHEMAS, None)


# -- Authup clients of nodes and analyses -------------------------------------------------------------


def generate_secret() -> str:
    """Return a random client secret of 64 hex characters, as the Hub generates one."""
    return secrets.token_hex(32)


def provision_client(state: HubState, name: str, realm_id: str | None, permissions: tuple[str, ...]) -> dict[str, Any]:
    """Insert an Authup client named ``name`` with a generated secret, granted ``permissions``, and return it."""
    client: dict[str, Any] = {
        "id": new_id(),
        "active": True,
        "builtIn": False,
        "authMethod": "secret",
        "tokenBindingMethod": "none",
        "name": name,
        "displayName": name,
        "description": None,
        "secret": generate_secret(),
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
    stamp(client)
    client["realmId"] = realm_id
    state.table("auth.clients")[client["id"]] = client
    for permission_name in permissions:
        permission = find_permission(state, permission_name)
        if permission is not None:
            grant_client_permission(state, client, permission)
    return client


def find_permission(state: HubState, name: str) -> dict[str, Any] | None:
    """Return the permission record called ``name``, preferring a global one."""
    matches = [record for record in state.table("auth.permissions").values() if record.get("name") == name]
    matches.sort(key=lambda record: record.get("realmId") is not None)
    return matches[0] if matches else None


def grant_client_permission(
    state: HubState, client: Mapping[str, Any], permission: Mapping[str, Any]
) -> dict[str, Any]:
    """Insert and return the ``auth.client_permissions`` record linking ``client`` to ``permission``."""
    link: dict[str, Any] = {
        "id": new_id(),
        "policyId": None,
        "realmScope": "own",
        "clientId": client["id"],
        "clientRealmId": client.get("realmId"),
        "permissionId": permission["id"],
        "permissionRealmId": permission.get("realmId"),
    }
    stamp(link)
    state.table("auth.client_permissions")[link["id"]] = link
    return link


def remove_client(state: HubState, client_id: str | None) -> None:
    """Delete an Authup client with its permission and role links, and revoke its tokens."""
    if client_id is None:
        return
    state.table("auth.clients").pop(client_id, None)
    for table_name in ("auth.client_permissions", "auth.client_roles"):
        table = state.table(table_name)
        for link_id in [key for key, link in table.items() if link.get("clientId") == client_id]:
            del table[link_id]
    for token in state.tokens.values():
        if token.identity.kind == "client" and token.identity.id == client_id:
            token.revoked = True
