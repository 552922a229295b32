"""Core handlers for nodes, registries, registry projects, projects and project nodes."""

from __future__ import annotations

import random
import re
import secrets
import string
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._core_base import (
    CONFLICT_MESSAGE,
    DB_CONFLICT_MESSAGE,
    Call,
    answer,
    default_view,
    generate_secret,
    list_answer,
    provision_client,
    read_body,
    record_answer,
    remove_client,
    stamp,
    touch,
)
from ._core_schemas import NODE, PROJECT, PROJECT_NODE, REGISTRY, REGISTRY_PROJECT, SCHEMAS
from ._core_validation import Attribute, validate
from ._errors import FakeHubError
from ._query import ResourceSchema, decode_query
from ._state import new_id

NODE_ATTRIBUTES = (
    Attribute("name", required=True, min_length=3, max_length=128),
    Attribute("externalName", nullable=True, min_length=1, max_length=64, pattern=r"^[a-z0-9-_]*$"),
    Attribute("type", kind="enum", choices=("aggregator", "default")),
    Attribute("hidden", kind="boolean"),
    Attribute("publicKey", nullable=True, min_length=5, max_length=4096),
    Attribute("realmId", kind="uuid", update=False),
    Attribute("registryId", kind="uuid", nullable=True),
    Attribute("clientId", kind="uuid", nullable=True),
)

REGISTRY_ATTRIBUTES = (
    Attribute("name", required=True, min_length=3, max_length=128),
    Attribute("host", required=True, min_length=3, max_length=512),
    Attribute("accountName", nullable=True, min_length=3, max_length=256),
    Attribute("accountSecret", nullable=True, min_length=3, max_length=256),
)

REGISTRY_PROJECT_TYPES = ("default", "aggregator", "incoming", "outgoing", "masterImages", "node")

REGISTRY_PROJECT_ATTRIBUTES = (
    Attribute("registryId", kind="uuid", required=True, update=False),
    Attribute("name", required=True, min_length=5, max_length=128),
    Attribute("externalName", required=True, min_length=3, max_length=64, pattern=r"^[a-z0-9-_]*$"),
    Attribute("type", kind="enum", required=True, choices=REGISTRY_PROJECT_TYPES, update=False),
)

PROJECT_ATTRIBUTES = (
    Attribute("name", kind="slug", min_length=3, max_length=128),
    Attribute("displayName", nullable=True, min_length=3, max_length=256),
    Attribute("description", nullable=True, min_length=5, max_length=4096),
    Attribute("masterImageId", kind="uuid", nullable=True),
)

PROJECT_NODE_ATTRIBUTES = (
    Attribute("projectId", kind="uuid", required=True, update=False),
    Attribute("nodeId", kind="uuid", required=True, update=False),
    Attribute("approvalStatus", kind="enum", nullable=True, choices=("rejected", "approved"), create=False),
    Attribute("comment", nullable=True, min_length=3, max_length=4096, create=False),
)

# Words of generated project and analysis names (``adjective-noun-xxxxxx``).
_ADJECTIVES = ("autumn", "brave", "calm", "dapper", "eager", "gentle", "jolly", "lucky", "quiet", "swift")
_NOUNS = ("badger", "falcon", "gecko", "heron", "lynx", "otter", "panda", "raven", "tiger", "walrus")


def generate_name() -> str:
    """Return a random slug name ``adjective-noun-xxxxxx``, as the Hub generates for projects and analyses."""
    return f"{random.choice(_ADJECTIVES)}-{random.choice(_NOUNS)}-{secrets.token_hex(3)}"


def apply_changes(record: dict[str, Any], values: dict[str, Any]) -> bool:
    """Copy ``values`` into ``record``; return whether anything changed."""
    changed = False
    for key, value in values.items():
        if record.get(key) != value:
            record[key] = value
            changed = True
    return changed


# -- nodes -----------------------------------------------------------------------------------------------


def _hex_public_key(value: Any) -> Any:
    # The Hub stores a public key that is not hex as the hex of its UTF-8 bytes.
    if isinstance(value, str) and not re.fullmatch(r"[0-9a-fA-F]*", value):
        return value.encode().hex()
    return value


def _node_answer(call: Call, node: dict[str, Any], status: int, *, full: bool = True) -> JSONResponse:
    data = dict(node) if full else default_view("node", node)
    if node.get("registryId") is not None:
        data["registry"] = call.embed("registry", call.table("registry").get(node["registryId"]))
    return answer(data, status)


def _random_external_name() -> str:
    alphabet = string.digits + string.ascii_lowercase
    return "".join(secrets.choice(alphabet) for _ in range(21))


def _link_node_registry(call: Call, node: dict[str, Any], registry: dict[str, Any]) -> None:
    """Create the node's registry project in ``registry`` and link it, as the Hub's registry adapter does."""
    if not node.get("externalName"):
        node["externalName"] = _random_external_name()
    project = stamp(
        {
            "id": new_id(),
            "name": node["name"],
            "type": "node",
            "public": False,
            "externalName": node["externalName"],
            "externalId": None,
            "accountId": None,
            "accountName": None,
            "accountSecret": None,
            "webhookName": None,
            "webhookExists": False,
            "registryId": registry["id"],
            "realmId": node["realmId"],
        }
    )
    call.table("registryProject")[project["id"]] = project
    node["registryId"] = registry["id"]
    node["registryProjectId"] = project["id"]


def _unlink_node_registry(call: Call, node: dict[str, Any]) -> None:
    project_id = node.get("registryProjectId")
    if project_id is not None:
        call.table("registryProject").pop(project_id, None)
    node["registryProjectId"] = None


def _check_node_unique(call: Call, node: dict[str, Any]) -> None:
    for other in call.table("node").values():
        if other["id"] == node["id"]:
            continue
        if other["name"] == node["name"] and other["realmId"] == node["realmId"]:
            raise FakeHubError(409, "entity_conflict", CONFLICT_MESSAGE)
        same_registry = node.get("registryId") is not None and other.get("registryId") == node.get("registryId")
        if same_registry and node.get("externalName") and other.get("externalName") == node.get("externalName"):
            raise FakeHubError(409, "entity_conflict", CONFLICT_MESSAGE)


async def list_nodes(request: Request, call: Call) -> Response:
    return list_answer(request, call, NODE, call.table("node").values())


async def read_node(request: Request, call: Call) -> Response:
    node = call.find("node", request.path_params["id"])
    return record_answer(request, call, NODE, node)


async def create_node(request: Request, call: Call) -> Response:
    call.require("node_create")
    values = validate(await read_body(request), NODE_ATTRIBUTES, creating=True, relation="nodes")

    realm_id = values.get("realmId") or call.identity.realm_id
    if "realmId" in values:
        call.require_realm(realm_id)
    if realm_id not in call.state.table("auth.realms"):
        message = 'insert or update on table "nodes" violates foreign key constraint'
        raise FakeHubError(500, "internal_error", message)
    registry = call.reference("registry", "registryId", values.get("registryId"))

    node: dict[str, Any] = {
        "id": new_id(),
        "externalName": values.get("externalName"),
        "publicKey": _hex_public_key(values.get("publicKey")),
        "name": values["name"],
        "hidden": values.get("hidden", False),
        "type": values.get("type", "default"),
        "online": False,
        "registryId": None,
        "registryProjectId": None,
        "clientId": None,
        "robotId": None,
        "realmId": realm_id,
    }
    stamp(node)
    if registry is None and "registryId" not in values:
        # With exactly one registry, the Hub attaches every new node to it.
        registries = list(call.table("registry").values())
        registry = registries[0] if len(registries) == 1 else None
    if registry is not None:
        node["registryId"] = registry["id"]
    _check_node_unique(call, node)

    if registry is not None:
        _link_node_registry(call, node, registry)
    client = provision_client(call.state, node["id"], realm_id, ("analysis_update",))
    node["clientId"] = client["id"]
    call.table("node")[node["id"]] = node
    return _node_answer(call, node, 201)


async def update_node(request: Request, call: Call) -> Response:
    call.require("node_update")
    node = call.find("node", request.path_params["id"])
    values = validate(await read_body(request), NODE_ATTRIBUTES, creating=False, relation="nodes")
    call.require_realm(node["realmId"])

    if "clientId" in values and values["clientId"] is None:
        # The Hub provisions the client again under the node id, which collides with the existing one.
        raise FakeHubError(500, "internal_error", DB_CONFLICT_MESSAGE)
    registry = call.reference("registry", "registryId", values.get("registryId"))
    if "publicKey" in values:
        values["publicKey"] = _hex_public_key(values["publicKey"])

    candidate = {**node, **values}
    _check_node_unique(call, candidate)
    previous_registry = node.get("registryId")
    changed = apply_changes(node, values)
    if "registryId" in values and values["registryId"] != previous_registry:
        _unlink_node_registry(call, node)
        if registry is not None:
            _link_node_registry(call, node, registry)
    if changed:
        touch(node)
    return _node_answer(call, node, 202)


async def delete_node(request: Request, call: Call) -> Response:
    call.require("node_delete")
    node = call.find("node", request.path_params["id"])
    call.require_realm(node["realmId"])

    remove_client(call.state, node.get("clientId"))
    node["clientId"] = None
    _unlink_node_registry(call, node)
    # Project nodes and analysis nodes go with the node; the Hub does not recount the parents' counters.
    for schema_name in ("projectNode", "analysisNode", "analysisNodeEvent"):
        table = call.table(schema_name)
        for key in [key for key, record in table.items() if record.get("nodeId") == node["id"]]:
            del table[key]
    del call.table("node")[node["id"]]
    return _node_answer(call, node, 202, full=False)


def _node_client(call: Call, node: dict[str, Any]) -> dict[str, Any]:
    identity = call.identity
    own = identity.kind == "client" and identity.id == node.get("clientId")
    if not own and not (call.has("node_update") and call.may_write_realm(node["realmId"])):
        raise FakeHubError(403, "permission_denied", "You are not permitted to read the credentials of this node.")
    client = call.state.table("auth.clients").get(node.get("clientId") or "")
    if client is None:
        raise FakeHubError(400, "bad_request", "The node has no client provisioned yet.")
    return client


def credentials_view(client: dict[str, Any]) -> dict[str, Any]:
    """Return the flat credentials response ``{id, name, displayName, secret}`` of an Authup client."""
    return {
        "id": client["id"],
        "name": client["name"],
        "displayName": client.get("displayName"),
        "secret": client.get("secret"),
    }


def checked_secret(body: Any) -> str:
    """Return the secret of a credentials body, generating one when it is missing or null."""
    secret = body.get("secret") if isinstance(body, dict) else None
    if secret is None:
        return generate_secret()
    if not isinstance(secret, str) or not 3 <= len(secret) <= 256:
        # The Hub forwards Authup's validation error without its issues, as a 500.
        raise FakeHubError(500, "internal_error", "Property secret is invalid")
    return secret


async def read_node_credentials(request: Request, call: Call) -> Response:
    node = call.find("node", request.path_params["id"])
    client = _node_client(call, node)
    return JSONResponse(credentials_view(client))


async def write_node_credentials(request: Request, call: Call) -> Response:
    node = call.find("node", request.path_params["id"])
    client = _node_client(call, node)
    body = await read_body(request)
    client["secret"] = checked_secret(body)
    if isinstance(body, dict):
        for key in ("name", "displayName"):
            if isinstance(body.get(key), str):
                client[key] = body[key]
    touch(client)
    return JSONResponse(credentials_view(client))


async def read_node_registry_credentials(request: Request, call: Call) -> Response:
    node = call.find("node", request.path_params["id"])
    identity = call.identity
    own = identity.kind == "client" and identity.id == node.get("clientId")
    if not own and not call.has("registry_manage"):
        raise FakeHubError(403, "permission_denied", "You are not permitted to read the registry credentials.")
    project = call.table("registryProject").get(node.get("registryProjectId") or "")
    registry = call.table("registry").get(node.get("registryId") or "")
    if project is None or registry is None:
        raise FakeHubError(400, "bad_request", "The node has no registry project provisioned yet.")
    return JSONResponse(
        {
            "host": registry["host"],
            "externalName": project["externalName"],
            "accountName": project.get("accountName"),
            "accountSecret": project.get("accountSecret"),
        }
    )


# -- registries -------------------------------------------------------------------------------------------


def _bare_host(value: str) -> str:
    # The Hub keeps only the host name of a URL such as https://host:8443/path.
    parts = urlsplit(value if "://" in value else f"//{value}")
    return parts.hostname or value


def _check_registry_unique(call: Call, registry: dict[str, Any]) -> None:
    for other in call.table("registry").values():
        if other["id"] != registry["id"] and (other["name"] == registry["name"] or other["host"] == registry["host"]):
            raise FakeHubError(409, "entity_conflict", CONFLICT_MESSAGE)


def _selects_account_secret(request: Request, schema: ResourceSchema) -> bool:
    query = decode_query(request.url.query, schema, SCHEMAS, parameters=("fields",))
    return "accountSecret" in query.fields.get("", [])


async def list_registries(request: Request, call: Call) -> Response:
    if _selects_account_secret(request, REGISTRY):
        # Selecting the hidden secret needs the permission that manages registries.
        call.require("registry_manage")
    return list_answer(request, call, REGISTRY, call.table("registry").values())


async def read_registry(request: Request, call: Call) -> Response:
    registry = call.find("registry", request.path_params["id"])
    if _selects_account_secret(request, REGISTRY):
        call.require("registry_manage")
    return record_answer(request, call, REGISTRY, registry)


async def create_registry(request: Request, call: Call) -> Response:
    call.require("registry_manage")
    values = validate(await read_body(request), REGISTRY_ATTRIBUTES, creating=True, relation="registries")
    registry: dict[str, Any] = {
        "id": new_id(),
        "name": values["name"],
        "host": _bare_host(values["host"]),
        "accountName": values.get("accountName"),
        "accountSecret": values.get("accountSecret"),
    }
    stamp(registry)
    _check_registry_unique(call, registry)
    call.table("registry")[registry["id"]] = registry
    return answer(dict(registry), 201)


async def update_registry(request: Request, call: Call) -> Response:
    call.require("registry_manage")
    registry = call.find("registry", request.path_params["id"])
    values = validate(await read_body(request), REGISTRY_ATTRIBUTES, creating=False, relation="registries")
    if "host" in values:
        values["host"] = _bare_host(values["host"])
    _check_registry_unique(call, {**registry, **values})
    if apply_changes(registry, values):
        touch(registry)
    return answer(dict(registry), 202)


async def delete_registry(request: Request, call: Call) -> Response:
    call.require("registry_manage")
    registry = call.find("registry", request.path_params["id"])
    projects = call.table("registryProject")
    for key in [key for key, project in projects.items() if project["registryId"] == registry["id"]]:
        del projects[key]
    # Nodes and analyses keep existing; their registry references become NULL.
    for node in call.table("node").values():
        if node.get("registryId") == registry["id"]:
            node["registryId"] = None
            node["registryProjectId"] = None
    for analysis in call.table("analysis").values():
        if analysis.get("registryId") == registry["id"]:
            analysis["registryId"] = None
    del call.table("registry")[registry["id"]]
    return answer(default_view("registry", registry), 202)


# -- registry projects --------------------------------------------------------------------------------------


def _check_registry_project_unique(call: Call, project: dict[str, Any]) -> None:
    for other in call.table("registryProject").values():
        if other["id"] == project["id"] or other["registryId"] != project["registryId"]:
            continue
        if other["name"] == project["name"] or other["externalName"] == project["externalName"]:
            raise FakeHubError(409, "entity_conflict", CONFLICT_MESSAGE)


async def list_registry_projects(request: Request, call: Call) -> Response:
    return list_answer(request, call, REGISTRY_PROJECT, call.table("registryProject").values())


async def read_registry_project(request: Request, call: Call) -> Response:
    project = call.find("registryProject", request.path_params["id"])
    identity = call.identity
    if _selects_account_secret(request, REGISTRY_PROJECT) and project.get("accountSecret") is not None:
        own_node = any(
            node.get("registryProjectId") == project["id"] and node.get("clientId") == identity.id
            for node in call.table("node").values()
        )
        if not own_node and not call.has("registry_manage"):
            raise FakeHubError(403, "permission_denied", "You are not permitted to read the account secret.")
    return record_answer(request, call, REGISTRY_PROJECT, project)


async def create_registry_project(request: Request, call: Call) -> Response:
    call.require("registry_project_manage")
    values = validate(
        await read_body(request), REGISTRY_PROJECT_ATTRIBUTES, creating=True, relation="registry_projects"
    )
    registry = call.reference("registry", "registryId", values["registryId"])
    project: dict[str, Any] = {
        "id": new_id(),
        "name": values["name"],
        "type": values["type"],
        "public": True,
        "externalName": values["externalName"],
        "externalId": None,
        "accountId": None,
        "accountName": None,
        "accountSecret": None,
        "webhookName": None,
        "webhookExists": False,
        "registryId": values["registryId"],
        "realmId": None,
    }
    stamp(project)
    _check_registry_project_unique(call, project)
    call.table("registryProject")[project["id"]] = project
    data = dict(project)
    data["registry"] = call.embed("registry", registry)
    return answer(data, 201)


async def update_registry_project(request: Request, call: Call) -> Response:
    call.require("registry_project_manage")
    project = call.find("registryProject", request.path_params["id"])
    values = validate(
        await read_body(request), REGISTRY_PROJECT_ATTRIBUTES, creating=False, relation="registry_projects"
    )
    call.require_realm(project.get("realmId"))
    _check_registry_project_unique(call, {**project, **values})
    if apply_changes(project, values):
        touch(project)
    return answer(dict(project), 202)


async def delete_registry_project(request: Request, call: Call) -> Response:
    call.require("registry_project_manage")
    project = call.find("registryProject", request.path_params["id"])
    call.require_realm(project.get("realmId"))
    for node in call.table("node").values():
        if node.get("registryProjectId") == project["id"]:
            node["registryProjectId"] = None
    del call.table("registryProject")[project["id"]]
    return answer(default_view("registryProject", project), 202)


# -- projects ------------------------------------------------------------------------------------------------


def _check_project_unique(call: Call, project: dict[str, Any]) -> None:
    for other in call.table("project").values():
        if other["id"] != project["id"] and other["name"] == project["name"]:
            raise FakeHubError(409, "entity_conflict", DB_CONFLICT_MESSAGE)


async def list_projects(request: Request, call: Call) -> Response:
    return list_answer(request, call, PROJECT, call.table("project").values())


async def read_project(request: Request, call: Call) -> Response:
    project = call.find("project", request.path_params["id"])
    return record_answer(request, call, PROJECT, project)


async def create_project(request: Request, call: Call) -> Response:
    call.require("project_create")
    identity = call.identity
    if identity.kind not in ("user", "client"):
        raise FakeHubError(403, "permission_denied", "Only users and clients are permitted to create a project.")
    values = validate(await read_body(request), PROJECT_ATTRIBUTES, creating=True, relation="projects")
    call.reference("masterImage", "masterImageId", values.get("masterImageId"))

    project: dict[str, Any] = {
        "id": new_id(),
        "name": values.get("name") or generate_name(),
        "displayName": values.get("displayName"),
        "description": values.get("description"),
        "analyses": 0,
        "nodes": 0,
    }
    stamp(project)
    project.update({"realmId": identity.realm_id, **call.creator_keys()})
    project["masterImageId"] = values.get("masterImageId")
    _check_project_unique(call, project)
    call.table("project")[project["id"]] = project
    return answer(dict(project), 201)


async def update_project(request: Request, call: Call) -> Response:
    call.require("project_update")
    project = call.find("project", request.path_params["id"])
    values = validate(await read_body(request), PROJECT_ATTRIBUTES, creating=False, relation="projects")
    call.require_realm(project["realmId"])
    call.reference("masterImage", "masterImageId", values.get("masterImageId"))
    _check_project_unique(call, {**project, **values})
    if apply_changes(project, values):
        touch(project)
    return answer(dict(project), 202)


async def delete_project(request: Request, call: Call) -> Response:
    call.require("project_delete")
    project = call.find("project", request.path_params["id"])
    call.require_realm(project["realmId"])
    if any(analysis["projectId"] == project["id"] for analysis in call.table("analysis").values()):
        raise FakeHubError(400, "bad_request", "The project still has associated analyses.")
    project_nodes = call.table("projectNode")
    for key in [key for key, link in project_nodes.items() if link["projectId"] == project["id"]]:
        del project_nodes[key]
    del call.table("project")[project["id"]]
    return answer(dict(project), 202)


# -- project nodes ----------------------------------------------------------------------------------------------


def count_project_nodes(call: Call, project: dict[str, Any]) -> None:
    """Recount ``project.nodes`` from its project nodes."""
    count = sum(1 for link in call.table("projectNode").values() if link["projectId"] == project["id"])
    if project.get("nodes") != count:
        project["nodes"] = count
        touch(project)


async def list_project_nodes(request: Request, call: Call) -> Response:
    return list_answer(request, call, PROJECT_NODE, call.table("projectNode").values())


async def read_project_node(request: Request, call: Call) -> Response:
    link = call.find("projectNode", request.path_params["id"])
    return record_answer(request, call, PROJECT_NODE, link)


async def create_project_node(request: Request, call: Call) -> Response:
    call.require("project_create", "project_update")
    values = validate(await read_body(request), PROJECT_NODE_ATTRIBUTES, creating=True, relation="project_nodes")
    project = call.reference("project", "projectId", values["projectId"])
    node = call.reference("node", "nodeId", values["nodeId"])
    assert project is not None and node is not None
    call.require_realm(project["realmId"])
    for other in call.table("projectNode").values():
        if other["projectId"] == project["id"] and other["nodeId"] == node["id"]:
            raise FakeHubError(409, "entity_conflict", CONFLICT_MESSAGE)

    link: dict[str, Any] = {
        "id": new_id(),
        "approvalStatus": "approved" if node["type"] == "aggregator" else None,
        "comment": None,
    }
    stamp(link)
    link.update(
        {
            "projectId": project["id"],
            "projectRealmId": project["realmId"],
            "nodeId": node["id"],
            "nodeRealmId": node["realmId"],
        }
    )
    # The response embeds the project as it was before the counter changed, as the Hub does.
    data = dict(link)
    data["project"] = call.embed("project", project)
    data["node"] = call.embed("node", node)
    call.table("projectNode")[link["id"]] = link
    count_project_nodes(call, project)
    return answer(data, 201)


async def update_project_node(request: Request, call: Call) -> Response:
    call.require("project_approve")
    link = call.find("projectNode", request.path_params["id"])
    values = validate(await read_body(request), PROJECT_NODE_ATTRIBUTES, creating=False, relation="project_nodes")
    call.require_realm(link["nodeRealmId"])
    if apply_changes(link, values):
        touch(link)
    return answer(dict(link), 202)


async def delete_project_node(request: Request, call: Call) -> Response:
    call.require("project_create", "project_update")
    link = call.find("projectNode", request.path_params["id"])
    if not (call.may_write_realm(link["nodeRealmId"]) or call.may_write_realm(link["projectRealmId"])):
        call.require_realm(link["projectRealmId"])
    del call.table("projectNode")[link["id"]]
    data = dict(link)
    project = call.table("project").get(link["projectId"])
    if project is not None:
        count_project_nodes(call, project)
        data["project"] = call.embed("project", project)
    return answer(data, 202)
