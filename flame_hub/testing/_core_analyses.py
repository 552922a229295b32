"""Core handlers for analyses and what hangs off them: nodes, buckets, bucket files, events, logs and the client."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._core_base import (
    CONFLICT_MESSAGE,
    Call,
    answer,
    empty,
    grant_client_permission,
    list_answer,
    provision_client,
    read_body,
    record_answer,
    remove_client,
    stamp,
    touch,
)
from ._core_nodes import apply_changes, checked_secret, credentials_view, generate_name
from ._core_schemas import (
    ANALYSIS,
    ANALYSIS_BUCKET,
    ANALYSIS_BUCKET_FILE,
    ANALYSIS_LOG,
    ANALYSIS_NODE,
    ANALYSIS_NODE_EVENT,
    ANALYSIS_NODE_LOG,
    CLIENT_PERMISSION,
    SCHEMAS,
)
from ._core_validation import Attribute, invalid, is_uuid_v4, validate
from ._errors import FakeHubError
from ._query import Filter, Group, decode_query, describe, list_body, sort_records
from ._state import new_id, now_iso

PROCESS_STATUSES = ("starting", "started", "stopping", "stopped", "executing", "executed", "failed")
APPROVAL_STATUSES = ("rejected", "approved")

# Capabilities an analysis client may hold; the Hub grants both when it provisions the client.
ANALYSIS_CLIENT_PERMISSIONS = ("analysis_self_storage_use", "analysis_self_message_broker_use")

ANALYSIS_ATTRIBUTES = (
    Attribute("projectId", kind="uuid", required=True, update=False),
    Attribute("name", kind="slug", min_length=3, max_length=128),
    Attribute("displayName", nullable=True, min_length=3, max_length=256),
    Attribute("description", nullable=True, min_length=5, max_length=4096),
    Attribute("masterImageId", kind="uuid", nullable=True),
    Attribute("registryId", kind="uuid", nullable=True),
    Attribute("imageCommandArguments", kind="arguments", nullable=True),
)

ANALYSIS_NODE_ATTRIBUTES = (
    Attribute("analysisId", kind="uuid", required=True, update=False),
    Attribute("nodeId", kind="uuid", required=True, update=False),
    Attribute("approvalStatus", kind="enum", nullable=True, choices=APPROVAL_STATUSES),
    Attribute("comment", nullable=True, max_length=4096),
    Attribute("executionStatus", kind="enum", nullable=True, choices=PROCESS_STATUSES),
    Attribute("executionProgress", kind="integer", nullable=True, minimum=0, maximum=100),
)

ANALYSIS_BUCKET_ATTRIBUTES = (
    Attribute("type", kind="enum", required=True, choices=("CODE", "RESULT", "TEMP"), update=False),
    Attribute("analysisId", kind="uuid", required=True, update=False),
    Attribute("bucketId", kind="uuid", required=True, update=False),
)

ANALYSIS_BUCKET_FILE_ATTRIBUTES = (
    Attribute("analysisBucketId", kind="uuid", required=True, update=False),
    Attribute("path", required=True, min_length=1, max_length=256),
    Attribute("bucketId", kind="uuid", required=True, update=False),
    Attribute("bucketFileId", kind="uuid", required=True, update=False),
    Attribute("root", kind="boolean"),
)

LOG_LEVELS = ("emerg", "alert", "crit", "error", "warn", "notice", "info", "debug")

NODE_LOG_ATTRIBUTES = (
    Attribute("nodeId", kind="uuid", required=True),
    Attribute("analysisId", kind="uuid", required=True),
    Attribute("message", required=True, min_length=3, max_length=2048),
    Attribute("level", kind="enum", required=True, choices=LOG_LEVELS),
    Attribute("status", nullable=True, min_length=3, max_length=64),
    Attribute("code", nullable=True, min_length=3, max_length=64),
    Attribute("labels", kind="labels"),
)


def analysis_error(message: str) -> FakeHubError:
    """Build the Hub's 400 for a violated analysis state rule (code ``ANALYSIS_ERROR``)."""
    return FakeHubError(400, "ANALYSIS_ERROR", message)


# -- derived fields ----------------------------------------------------------------------------------------


def recalculate(call: Call, analysis: dict[str, Any]) -> None:
    """Recompute the analysis' counters and configuration flags from its nodes, image and files."""
    links = [link for link in call.table("analysisNode").values() if link["analysisId"] == analysis["id"]]
    nodes = [call.table("node").get(link["nodeId"]) for link in links]
    types = {node["type"] for node in nodes if node is not None}
    code_buckets = {
        bucket["id"]
        for bucket in call.table("analysisBucket").values()
        if bucket["analysisId"] == analysis["id"] and bucket["type"] == "CODE"
    }
    entrypoint = any(
        entry.get("root") and entry["analysisBucketId"] in code_buckets
        for entry in call.table("analysisBucketFile").values()
    )
    approved = sum(1 for link in links if link.get("approvalStatus") == "approved")

    derived: dict[str, Any] = {
        "nodes": len(links),
        "nodesApproved": approved,
        "configurationImageValid": analysis.get("masterImageId") is not None,
        "configurationEntrypointValid": entrypoint,
        "configurationNodeAggregatorValid": "aggregator" in types,
        "configurationNodeDefaultValid": "default" in types,
        "configurationNodesValid": "aggregator" in types and "default" in types,
        "buildNodesValid": bool(links) and approved == len(links),
    }
    statuses = [link["executionStatus"] for link in links if link.get("executionStatus") is not None]
    if "failed" in statuses:
        derived["executionStatus"] = "failed"
    elif statuses:
        derived["executionStatus"] = min(statuses, key=PROCESS_STATUSES.index)
    if links:
        # Every node counts, a node without progress as 0; with no nodes the last value stays.
        derived["executionProgress"] = sum(link.get("executionProgress") or 0 for link in links) // len(links)
    if apply_changes(analysis, derived):
        touch(analysis)


def count_project_analyses(call: Call, project_id: str) -> dict[str, Any] | None:
    """Recount ``project.analyses`` and return the project."""
    project = call.table("project").get(project_id)
    if project is None:
        return None
    count = sum(1 for analysis in call.table("analysis").values() if analysis["projectId"] == project_id)
    if project.get("analyses") != count:
        project["analyses"] = count
        touch(project)
    return project


# -- analyses ---------------------------------------------------------------------------------------------


async def list_analyses(request: Request, call: Call) -> Response:
    return list_answer(request, call, ANALYSIS, call.table("analysis").values())


async def read_analysis(request: Request, call: Call) -> Response:
    analysis = call.find("analysis", request.path_params["id"])
    return record_answer(request, call, ANALYSIS, analysis)


def _new_analysis_node(analysis: dict[str, Any], node: dict[str, Any], approval: Any = None) -> dict[str, Any]:
    link: dict[str, Any] = {
        "id": new_id(),
        "approvalStatus": "approved" if node["type"] == "aggregator" else approval,
        "executionStatus": None,
        "executionProgress": None,
        "comment": None,
        "artifactTag": None,
        "artifactDigest": None,
    }
    stamp(link)
    link.update(
        {
            "analysisId": analysis["id"],
            "analysisRealmId": analysis["realmId"],
            "nodeId": node["id"],
            "nodeRealmId": node["realmId"],
        }
    )
    return link


async def create_analysis(request: Request, call: Call) -> Response:
    call.require("analysis_create")
    identity = call.identity
    if identity.kind != "user":
        raise FakeHubError(403, "permission_denied", "Only user accounts are permitted to create an analysis.")
    values = validate(await read_body(request), ANALYSIS_ATTRIBUTES, creating=True, relation="analyses")
    project = call.reference("project", "projectId", values["projectId"])
    assert project is not None
    call.reference("registry", "registryId", values.get("registryId"))
    call.reference("masterImage", "masterImageId", values.get("masterImageId"))
    master_image_id = values["masterImageId"] if "masterImageId" in values else project.get("masterImageId")

    analysis: dict[str, Any] = {
        "id": new_id(),
        "name": values.get("name") or generate_name(),
        "displayName": values.get("displayName"),
        "description": values.get("description"),
        "nodes": 0,
        "nodesApproved": 0,
        "configurationLocked": False,
        "configurationEntrypointValid": False,
        "configurationImageValid": False,
        "configurationNodeAggregatorValid": False,
        "configurationNodeDefaultValid": False,
        "configurationNodesValid": False,
        "distributionStatus": None,
        "distributionProgress": None,
        "buildNodesValid": False,
        "buildStatus": None,
        "buildProgress": None,
        "buildHash": None,
        "buildOs": None,
        "buildSize": None,
        "executionStatus": None,
        "executionProgress": None,
        "imageCommandArguments": values.get("imageCommandArguments"),
    }
    stamp(analysis)
    analysis.update(
        {
            "registryId": values.get("registryId"),
            "clientId": None,
            "realmId": project["realmId"],
            "userId": identity.id,
            "projectId": project["id"],
            "masterImageId": master_image_id,
        }
    )
    # NOTE: a Hub with its worker also requests CODE, RESULT and TEMP storage buckets here, which later
    # appear as analysis buckets; the fake, like the recorded Hub without a worker, creates none.
    client = provision_client(call.state, analysis["id"], project["realmId"], ANALYSIS_CLIENT_PERMISSIONS)
    analysis["clientId"] = client["id"]
    call.table("analysis")[analysis["id"]] = analysis

    # Every approved project node takes part in a new analysis.
    for project_node in list(call.table("projectNode").values()):
        node = call.table("node").get(project_node["nodeId"])
        if project_node["projectId"] == project["id"] and project_node.get("approvalStatus") == "approved" and node:
            link = _new_analysis_node(analysis, node)
            call.table("analysisNode")[link["id"]] = link
    recalculate(call, analysis)
    count_project_analyses(call, project["id"])

    data = dict(analysis)
    data["project"] = call.embed("project", project)
    return answer(data, 201)


async def update_analysis(request: Request, call: Call) -> Response:
    call.require("analysis_update")
    analysis = call.find("analysis", request.path_params["id"])
    values = validate(await read_body(request), ANALYSIS_ATTRIBUTES, creating=False, relation="analyses")
    call.require_realm(analysis["realmId"])
    call.reference("registry", "registryId", values.get("registryId"))
    call.reference("masterImage", "masterImageId", values.get("masterImageId"))

    current_registry = analysis.get("registryId")
    if "registryId" in values and current_registry is not None and values["registryId"] != current_registry:
        raise FakeHubError(400, "bad_request", "The registry of an analysis can not be changed once it is set.")
    if "masterImageId" in values and values["masterImageId"] != analysis.get("masterImageId"):
        # A different image takes different arguments, so the Hub drops the old ones.
        values.setdefault("imageCommandArguments", None)
    if apply_changes(analysis, values):
        touch(analysis)
    recalculate(call, analysis)
    return answer(dict(analysis), 202)


async def delete_analysis(request: Request, call: Call) -> Response:
    call.require("analysis_delete")
    analysis = call.find("analysis", request.path_params["id"])
    call.require_realm(analysis["realmId"])

    for schema_name in ("analysisNode", "analysisBucketFile", "analysisBucket", "analysisNodeEvent"):
        table = call.table(schema_name)
        for key in [key for key, record in table.items() if record.get("analysisId") == analysis["id"]]:
            del table[key]
    remove_client(call.state, analysis.get("clientId"))
    analysis["clientId"] = None
    del call.table("analysis")[analysis["id"]]
    project = count_project_analyses(call, analysis["projectId"])

    data = dict(analysis)
    data["project"] = call.embed("project", project)
    return answer(data, 202)


# -- analysis commands --------------------------------------------------------------------------------------


def _lock(call: Call, analysis: dict[str, Any]) -> None:
    if analysis["configurationLocked"]:
        raise analysis_error("The analysis configuration is already locked.")
    if analysis["buildStatus"] is not None:
        raise analysis_error("The analysis build has already been started.")
    if not analysis["configurationNodeDefaultValid"]:
        raise analysis_error("The analysis needs at least one default node.")
    if not analysis["configurationNodeAggregatorValid"]:
        raise analysis_error("The analysis needs an aggregator node.")
    if not analysis["configurationEntrypointValid"]:
        raise analysis_error("The analysis needs an entrypoint file.")
    if not analysis["configurationImageValid"]:
        raise analysis_error("The analysis needs a master image.")
    analysis["configurationLocked"] = True


def _unlock(call: Call, analysis: dict[str, Any]) -> None:
    if not analysis["configurationLocked"]:
        raise analysis_error("The analysis configuration is not locked.")
    if analysis["buildStatus"] not in (None, "failed", "stopped", "stopping"):
        raise analysis_error("The analysis can not be unlocked while its build is running or finished.")
    analysis["configurationLocked"] = False
    analysis["buildStatus"] = None
    for link in call.table("analysisNode").values():
        node = call.table("node").get(link["nodeId"])
        if link["analysisId"] == analysis["id"] and node is not None and node["type"] != "aggregator":
            link["approvalStatus"] = None
            touch(link)


def _build_start(call: Call, analysis: dict[str, Any]) -> None:
    if not analysis["configurationLocked"]:
        raise analysis_error("The analysis configuration must be locked before the build starts.")
    if not analysis["buildNodesValid"]:
        raise analysis_error("Every node of the analysis must approve it before the build starts.")
    if analysis["buildStatus"] not in (None, "failed", "stopped"):
        raise analysis_error("The analysis build has already been started.")
    analysis["buildStatus"] = "starting"


def _build_check(call: Call, analysis: dict[str, Any]) -> None:
    if not analysis["configurationLocked"] or analysis["buildStatus"] is None:
        raise analysis_error("The analysis build has not been started.")


def _distribution_start(call: Call, analysis: dict[str, Any]) -> None:
    if analysis["buildStatus"] != "executed":
        raise analysis_error("The analysis must be built before it is distributed.")
    if analysis["distributionStatus"] not in (None, "failed", "stopped"):
        raise analysis_error("The analysis distribution has already been started.")
    analysis["distributionStatus"] = "starting"


def _distribution_check(call: Call, analysis: dict[str, Any]) -> None:
    if analysis["buildStatus"] != "executed" or analysis["distributionStatus"] is None:
        raise analysis_error("The analysis distribution has not been started.")


def _storage_check(call: Call, analysis: dict[str, Any]) -> None:
    # NOTE: the Hub requests missing buckets from the storage service here; the fake has no worker and does nothing.
    return


ANALYSIS_COMMANDS = {
    "configurationLock": _lock,
    "configurationUnlock": _unlock,
    "buildStart": _build_start,
    "buildCheck": _build_check,
    "distributionStart": _distribution_start,
    "distributionCheck": _distribution_check,
    "storageCheck": _storage_check,
}


async def run_analysis_command(request: Request, call: Call) -> Response:
    analysis = call.find("analysis", request.path_params["id"])
    body = await read_body(request)
    name = body.get("command") if isinstance(body, dict) else None
    command = ANALYSIS_COMMANDS.get(name) if isinstance(name, str) else None
    if command is None:
        raise FakeHubError(400, "bad_request", "Invalid command.")
    call.require_realm(analysis["realmId"])
    recalculate(call, analysis)
    before = dict(analysis)
    command(call, analysis)
    if analysis != before:
        touch(analysis)
    recalculate(call, analysis)
    return answer(dict(analysis), 202)


# -- analysis client -----------------------------------------------------------------------------------------


def _analysis_client(call: Call, analysis: dict[str, Any]) -> dict[str, Any]:
    client = call.state.table("auth.clients").get(analysis.get("clientId") or "")
    if client is None:
        raise FakeHubError(400, "bad_request", "The analysis has no client provisioned yet.")
    return client


def _node_client_approved(call: Call, analysis: dict[str, Any]) -> bool:
    identity = call.identity
    if identity.kind != "client":
        return False
    for link in call.table("analysisNode").values():
        node = call.table("node").get(link["nodeId"])
        if (
            link["analysisId"] == analysis["id"]
            and link.get("approvalStatus") == "approved"
            and node is not None
            and node.get("clientId") == identity.id
        ):
            return True
    return False


async def read_analysis_credentials(request: Request, call: Call) -> Response:
    analysis = call.find("analysis", request.path_params["id"])
    if not _node_client_approved(call, analysis):
        call.require("analysis_update")
    client = _analysis_client(call, analysis)
    return JSONResponse(credentials_view(client))


async def write_analysis_credentials(request: Request, call: Call) -> Response:
    analysis = call.find("analysis", request.path_params["id"])
    call.require("analysis_update")
    call.require_realm(analysis["realmId"])
    client = _analysis_client(call, analysis)
    # Only the secret is honoured; a name or display name in the body is ignored.
    client["secret"] = checked_secret(await read_body(request))
    touch(client)
    return JSONResponse(credentials_view(client))


def _client_permission_view(call: Call, link: dict[str, Any]) -> dict[str, Any]:
    data = dict(link)
    data["permission"] = call.state.table("auth.permissions").get(link["permissionId"])
    return data


async def list_analysis_permissions(request: Request, call: Call) -> Response:
    analysis = call.find("analysis", request.path_params["id"])
    call.require("analysis_update")
    client_id = analysis.get("clientId")
    links = [link for link in call.state.table("auth.client_permissions").values() if link["clientId"] == client_id]
    query = decode_query(request.url.query, CLIENT_PERMISSION, SCHEMAS)
    body = list_body(links, query, CLIENT_PERMISSION, SCHEMAS, None)
    by_id = {link["id"]: link for link in links}
    for item in body["data"]:
        link = by_id.get(item.get("id", ""))
        if link is not None:
            item["permission"] = call.state.table("auth.permissions").get(link["permissionId"])
    return JSONResponse(body)


def _checked_analysis_client_change(call: Call, analysis: dict[str, Any], permission_id: Any) -> dict[str, Any]:
    call.require("analysis_update")
    call.require_realm(analysis["realmId"])
    if analysis["configurationLocked"]:
        raise FakeHubError(400, "bad_request", "The analysis configuration is locked.")
    permission = call.state.table("auth.permissions").get(permission_id) if isinstance(permission_id, str) else None
    if permission is None:
        raise FakeHubError(404, "entity_not_found", "The permission was not found.")
    if permission["name"] not in ANALYSIS_CLIENT_PERMISSIONS:
        allowed = ", ".join(ANALYSIS_CLIENT_PERMISSIONS)
        message = f"The permission {permission['name']} can not be assigned to an analysis; use one of {allowed}."
        raise FakeHubError(403, "permission_denied", message)
    return permission


async def add_analysis_permission(request: Request, call: Call) -> Response:
    analysis = call.find("analysis", request.path_params["id"])
    body = await read_body(request)
    permission_id = body.get("permissionId") if isinstance(body, dict) else None
    permission = _checked_analysis_client_change(call, analysis, permission_id)
    client = _analysis_client(call, analysis)
    for link in call.state.table("auth.client_permissions").values():
        if link["clientId"] == client["id"] and link["permissionId"] == permission["id"]:
            # Authup's unique key rejects the second link; the Hub passes that on as a 500.
            raise FakeHubError(500, "internal_error", "The analysis client already has this permission.")
    link = grant_client_permission(call.state, client, permission)
    return answer(dict(link), 201)


async def remove_analysis_permission(request: Request, call: Call) -> Response:
    analysis = call.find("analysis", request.path_params["id"])
    permission = _checked_analysis_client_change(call, analysis, request.path_params["permission_id"])
    table = call.state.table("auth.client_permissions")
    for key, link in list(table.items()):
        if link["clientId"] == analysis.get("clientId") and link["permissionId"] == permission["id"]:
            del table[key]
            return answer(dict(link), 202)
    raise FakeHubError(404, "entity_not_found", "The client-permission was not found.")


# -- analysis nodes --------------------------------------------------------------------------------------------


async def list_analysis_nodes(request: Request, call: Call) -> Response:
    return list_answer(request, call, ANALYSIS_NODE, call.table("analysisNode").values())


async def read_analysis_node(request: Request, call: Call) -> Response:
    link = call.find("analysisNode", request.path_params["id"])
    return record_answer(request, call, ANALYSIS_NODE, link)


async def create_analysis_node(request: Request, call: Call) -> Response:
    call.require("analysis_update")
    values = validate(await read_body(request), ANALYSIS_NODE_ATTRIBUTES, creating=True, relation="analysis_nodes")
    analysis = call.reference("analysis", "analysisId", values["analysisId"])
    node = call.reference("node", "nodeId", values["nodeId"])
    assert analysis is not None and node is not None

    for existing in call.table("analysisNode").values():
        if existing["analysisId"] == analysis["id"] and existing["nodeId"] == node["id"]:
            # Creating a pair again returns the stored record untouched.
            return answer(dict(existing), 201)
    if analysis["configurationLocked"]:
        raise FakeHubError(400, "bad_request", "The analysis configuration is locked.")
    in_project = any(
        link["projectId"] == analysis["projectId"] and link["nodeId"] == node["id"]
        for link in call.table("projectNode").values()
    )
    if not in_project:
        raise FakeHubError(404, "entity_not_found", "The referenced node is not part of the analysis project.")

    link = _new_analysis_node(analysis, node, values.get("approvalStatus"))
    for key in ("comment", "executionStatus", "executionProgress"):
        if key in values:
            link[key] = values[key]
    data = dict(link)
    data["analysis"] = call.embed("analysis", analysis)
    data["node"] = call.embed("node", node)
    call.table("analysisNode")[link["id"]] = link
    recalculate(call, analysis)
    return answer(data, 201)


async def update_analysis_node(request: Request, call: Call) -> Response:
    link = call.find("analysisNode", request.path_params["id"])
    node_realm = call.may_write_realm(link["nodeRealmId"])
    if not node_realm and not call.may_write_realm(link["analysisRealmId"]):
        call.require_realm(link["nodeRealmId"])
    if not (call.has("analysis_update") or call.has("analysis_approve")):
        raise FakeHubError(403, "permission_denied", "You are not permitted to update this analysis node.")
    values = validate(await read_body(request), ANALYSIS_NODE_ATTRIBUTES, creating=False, relation="analysis_nodes")

    if ("approvalStatus" in values or "comment" in values) and not (node_realm and call.has("analysis_approve")):
        raise FakeHubError(400, "bad_request", "Only the node's realm may approve or comment on the analysis.")
    executing = "executionStatus" in values or "executionProgress" in values
    if executing and not (node_realm and call.has("analysis_update")):
        raise FakeHubError(400, "bad_request", "Only the node's realm may report the execution of the analysis.")
    if apply_changes(link, values):
        touch(link)
    analysis = call.table("analysis").get(link["analysisId"])
    if analysis is not None:
        recalculate(call, analysis)
    return answer(dict(link), 202)


async def delete_analysis_node(request: Request, call: Call) -> Response:
    link = call.find("analysisNode", request.path_params["id"])
    if not (call.has("analysis_update") or call.has("analysis_approve")):
        call.require("analysis_update")
    if not (call.may_write_realm(link["nodeRealmId"]) or call.may_write_realm(link["analysisRealmId"])):
        call.require_realm(link["nodeRealmId"])
    del call.table("analysisNode")[link["id"]]
    analysis = call.table("analysis").get(link["analysisId"])
    if analysis is not None:
        recalculate(call, analysis)
    return answer(dict(link), 202)


# -- analysis buckets and bucket files ---------------------------------------------------------------------------


async def list_analysis_buckets(request: Request, call: Call) -> Response:
    return list_answer(request, call, ANALYSIS_BUCKET, call.table("analysisBucket").values())


async def read_analysis_bucket(request: Request, call: Call) -> Response:
    bucket = call.find("analysisBucket", request.path_params["id"])
    return record_answer(request, call, ANALYSIS_BUCKET, bucket)


async def create_analysis_bucket(request: Request, call: Call) -> Response:
    values = validate(await read_body(request), ANALYSIS_BUCKET_ATTRIBUTES, creating=True, relation="analysis_buckets")
    analysis = call.reference("analysis", "analysisId", values["analysisId"])
    assert analysis is not None
    for other in call.table("analysisBucket").values():
        if other["analysisId"] == analysis["id"] and other["bucketId"] == values["bucketId"]:
            raise FakeHubError(409, "entity_conflict", CONFLICT_MESSAGE)
    bucket: dict[str, Any] = {
        "id": new_id(),
        "type": values["type"],
        "bucketId": values["bucketId"],
        "analysisId": analysis["id"],
        "realmId": analysis["realmId"],
    }
    stamp(bucket)
    call.table("analysisBucket")[bucket["id"]] = bucket
    data = dict(bucket)
    data["analysis"] = call.embed("analysis", analysis)
    return answer(data, 201)


async def update_analysis_bucket(request: Request, call: Call) -> Response:
    bucket = call.find("analysisBucket", request.path_params["id"])
    call.require_realm(bucket["realmId"])
    # Nothing of an analysis bucket is writable; the body is validated and dropped.
    validate(await read_body(request), ANALYSIS_BUCKET_ATTRIBUTES, creating=False)
    return answer(dict(bucket), 202)


async def delete_analysis_bucket(request: Request, call: Call) -> Response:
    bucket = call.find("analysisBucket", request.path_params["id"])
    call.require_realm(bucket["realmId"])
    files = call.table("analysisBucketFile")
    for key in [key for key, entry in files.items() if entry["analysisBucketId"] == bucket["id"]]:
        del files[key]
    del call.table("analysisBucket")[bucket["id"]]
    analysis = call.table("analysis").get(bucket["analysisId"])
    if analysis is not None:
        recalculate(call, analysis)
    return answer(dict(bucket), 202)


def _check_file_unique(call: Call, entry: dict[str, Any]) -> None:
    for other in call.table("analysisBucketFile").values():
        if other["id"] != entry["id"] and other["analysisId"] == entry["analysisId"] and other["path"] == entry["path"]:
            raise FakeHubError(409, "entity_conflict", CONFLICT_MESSAGE)


async def list_analysis_bucket_files(request: Request, call: Call) -> Response:
    return list_answer(request, call, ANALYSIS_BUCKET_FILE, call.table("analysisBucketFile").values())


async def read_analysis_bucket_file(request: Request, call: Call) -> Response:
    entry = call.find("analysisBucketFile", request.path_params["id"])
    return record_answer(request, call, ANALYSIS_BUCKET_FILE, entry)


async def create_analysis_bucket_file(request: Request, call: Call) -> Response:
    values = validate(
        await read_body(request), ANALYSIS_BUCKET_FILE_ATTRIBUTES, creating=True, relation="analysis_bucket_files"
    )
    bucket = call.reference("analysisBucket", "analysisBucketId", values["analysisBucketId"])
    assert bucket is not None
    entry: dict[str, Any] = {
        "id": new_id(),
        "path": values["path"],
        "root": values.get("root", False),
        "bucketId": values["bucketId"],
        "bucketFileId": values["bucketFileId"],
        **call.creator_keys(),
        # The Hub records the caller's realm here, not the analysis realm.
        "realmId": call.identity.realm_id,
        "analysisId": bucket["analysisId"],
        "analysisBucketId": bucket["id"],
    }
    stamp(entry)
    _check_file_unique(call, entry)
    call.table("analysisBucketFile")[entry["id"]] = entry
    analysis = call.table("analysis").get(bucket["analysisId"])
    if analysis is not None:
        recalculate(call, analysis)
    data = dict(entry)
    data["analysisBucket"] = call.embed("analysisBucket", bucket)
    return answer(data, 201)


async def update_analysis_bucket_file(request: Request, call: Call) -> Response:
    entry = call.find("analysisBucketFile", request.path_params["id"])
    values = validate(
        await read_body(request), ANALYSIS_BUCKET_FILE_ATTRIBUTES, creating=False, relation="analysis_bucket_files"
    )
    call.require_realm(entry["realmId"])
    _check_file_unique(call, {**entry, **values})
    if apply_changes(entry, values):
        touch(entry)
    analysis = call.table("analysis").get(entry["analysisId"])
    if analysis is not None:
        recalculate(call, analysis)
    return answer(dict(entry), 202)


async def delete_analysis_bucket_file(request: Request, call: Call) -> Response:
    entry = call.find("analysisBucketFile", request.path_params["id"])
    call.require_realm(entry["realmId"])
    del call.table("analysisBucketFile")[entry["id"]]
    analysis = call.table("analysis").get(entry["analysisId"])
    if analysis is not None:
        recalculate(call, analysis)
    return answer(dict(entry), 202)


# -- analysis node events -----------------------------------------------------------------------------------------


async def list_analysis_node_events(request: Request, call: Call) -> Response:
    return list_answer(request, call, ANALYSIS_NODE_EVENT, call.table("analysisNodeEvent").values())


async def read_analysis_node_event(request: Request, call: Call) -> Response:
    event = call.find("analysisNodeEvent", request.path_params["id"])
    return record_answer(request, call, ANALYSIS_NODE_EVENT, event)


# -- logs -------------------------------------------------------------------------------------------------------

_NEGATED_OPERATORS = {"eq": "ne", "in": "nin", "null": "ne"}


def _equality_filters(node: Filter | None) -> dict[str, Any]:
    """Return ``{field: value}`` of an AND of plain equality filters; raise 400 for any other operator."""
    if node is None:
        return {}
    if isinstance(node, Group):
        if node.operator != "and":
            raise FakeHubError(400, "bad_request", f"The filter operator '{node.operator}' is not supported here.")
        merged: dict[str, Any] = {}
        for child in node.children:
            merged.update(_equality_filters(child))
        return merged
    operator = _NEGATED_OPERATORS.get(node.operator, f"n{node.operator}") if node.negated else node.operator
    if operator != "eq":
        message = (
            f"The filter operator '{operator}' on '{node.field}' is not supported here; "
            "only equality (eq) filters are allowed."
        )
        raise FakeHubError(400, "bad_request", message)
    return {node.field: node.value}


def _log_page(request: Request, call: Call, schema: Any, required: tuple[str, ...], message: str) -> Any:
    query = decode_query(request.url.query, schema, SCHEMAS)
    filters = _equality_filters(query.filter)
    if any(filters.get(key) in (None, "") for key in required):
        raise FakeHubError(400, "bad_request", message)
    return query, filters


def _matching_logs(call: Call, filters: dict[str, Any]) -> list[dict[str, Any]]:
    logs = []
    for log in call.state.table("core.logs").values():
        labels = log.get("labels", {})
        if all(
            str(labels.get(key) if key != "level" else log.get("level")) == str(value) for key, value in filters.items()
        ):
            logs.append(log)
    return logs


async def _list_logs(request: Request, call: Call, schema: Any, required: tuple[str, ...], message: str) -> Response:
    query, filters = _log_page(request, call, schema, required, message)
    logs = _matching_logs(call, filters)
    # Telemetry returns the newest entries first unless a sort is given.
    ordered = sort_records(logs, query.sort or [("time", "DESC")], schema)
    page = [dict(log) for log in ordered[query.offset : query.offset + query.limit]]
    meta = {"total": len(logs), "limit": query.limit, "offset": query.offset, "schema": describe(schema)}
    return JSONResponse({"data": page, "meta": meta})


async def _delete_logs(request: Request, call: Call, schema: Any, required: tuple[str, ...], message: str) -> Response:
    _, filters = _log_page(request, call, schema, required, message)
    table = call.state.table("core.logs")
    matching = {id(log) for log in _matching_logs(call, filters)}
    for key in [key for key, log in table.items() if id(log) in matching]:
        del table[key]
    return empty(202)


_ANALYSIS_LOG_MESSAGE = "The filter analysisId must be defined."
_NODE_LOG_MESSAGE = "The filters nodeId and analysisId must be defined."


async def list_analysis_logs(request: Request, call: Call) -> Response:
    return await _list_logs(request, call, ANALYSIS_LOG, ("analysisId",), _ANALYSIS_LOG_MESSAGE)


async def delete_analysis_logs(request: Request, call: Call) -> Response:
    return await _delete_logs(request, call, ANALYSIS_LOG, ("analysisId",), _ANALYSIS_LOG_MESSAGE)


async def list_analysis_node_logs(request: Request, call: Call) -> Response:
    return await _list_logs(request, call, ANALYSIS_NODE_LOG, ("analysisId", "nodeId"), _NODE_LOG_MESSAGE)


async def delete_analysis_node_logs(request: Request, call: Call) -> Response:
    return await _delete_logs(request, call, ANALYSIS_NODE_LOG, ("analysisId", "nodeId"), _NODE_LOG_MESSAGE)


async def create_analysis_node_log(request: Request, call: Call) -> Response:
    values = validate(await read_body(request), NODE_LOG_ATTRIBUTES, creating=True)
    issues = []
    node = call.table("node").get(values["nodeId"]) if is_uuid_v4(values["nodeId"]) else None
    analysis = call.table("analysis").get(values["analysisId"]) if is_uuid_v4(values["analysisId"]) else None
    for key, found in (("nodeId", node), ("analysisId", analysis)):
        if found is None:
            message = f"Property {key} is invalid"
            issues.append({"type": "item", "path": [key], "message": message, "code": "value_invalid"})
    if issues:
        raise invalid(issues)
    assert node is not None
    call.require_realm(node["realmId"])

    labels = dict(values.get("labels") or {})
    labels.update({"refType": "analysisNode", "analysisId": values["analysisId"], "nodeId": values["nodeId"]})
    for key in ("code", "status"):
        if values.get(key) is not None:
            labels[key] = values[key]
    log = {
        "time": now_iso(),
        "level": values["level"],
        "channel": "http",
        "service": "hub-server-core",
        "message": values["message"],
        "labels": labels,
    }
    call.state.table("core.logs")[new_id()] = log
    return answer(dict(log), 202)
