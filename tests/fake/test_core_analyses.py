"""The fake Hub's core service over HTTP: analyses, their nodes, buckets, files, commands, client and logs."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx2
import pytest

from flame_hub.testing import FakeHub

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def hub(fake_hub: FakeHub) -> Iterator[httpx2.Client]:
    """An HTTP client for the core service, logged in as the seeded admin."""
    token = fake_hub.issue_admin_token()
    with httpx2.Client(base_url=fake_hub.core_url, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def created(response: httpx2.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()["data"]


def accepted(response: httpx2.Response) -> dict:
    assert response.status_code == 202, response.text
    return response.json()["data"]


def issue_pairs(response: httpx2.Response) -> list[tuple[str, list[str]]]:
    return [(issue["code"], issue["path"]) for issue in response.json()["issues"]]


@pytest.fixture
def project(hub) -> dict:
    return created(hub.post("projects", json={"name": "rec-project"}))


@pytest.fixture
def analysis(hub, project) -> dict:
    return created(hub.post("analyses", json={"projectId": project["id"], "name": "rec-analysis"}))


def attach(hub: httpx2.Client, project: dict, name: str, node_type: str = "default") -> dict:
    """Create a node, attach it to ``project`` and approve it; return the node."""
    node = created(hub.post("nodes", json={"name": name, "type": node_type}))
    link = created(hub.post("project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    accepted(hub.post(f"project-nodes/{link['id']}", json={"approvalStatus": "approved"}))
    return node


def add_entrypoint(hub: httpx2.Client, analysis: dict) -> dict:
    bucket_id = "11111111-1111-4111-8111-111111111111"
    bucket = created(
        hub.post("analysis-buckets", json={"type": "CODE", "bucketId": bucket_id, "analysisId": analysis["id"]})
    )
    body = {
        "analysisBucketId": bucket["id"],
        "bucketId": bucket_id,
        "bucketFileId": "22222222-2222-4222-8222-222222222222",
        "path": "main.py",
        "root": True,
    }
    return created(hub.post("analysis-bucket-files", json=body))


def command(hub: httpx2.Client, analysis: dict, name: str) -> httpx2.Response:
    return hub.post(f"analyses/{analysis['id']}/command", json={"command": name})


# -- create, update, delete ---------------------------------------------------------------------------------


def test_analysis_create_defaults(hub, project, fake_hub):
    analysis = created(hub.post("analyses", json={"projectId": project["id"], "nodes": 3, "buildStatus": "executed"}))
    assert re.fullmatch(r"[a-z]+-[a-z]+-[0-9a-f]{6}", analysis["name"])
    assert analysis["nodes"] == 0
    assert analysis["buildStatus"] is None
    assert analysis["configurationLocked"] is False
    assert analysis["realmId"] == project["realmId"]
    assert analysis["userId"] == fake_hub.state.known["admin_user_id"]
    assert analysis["project"]["analyses"] == 1
    assert hub.get(f"projects/{project['id']}").json()["data"]["analyses"] == 1


def test_analysis_create_provisions_client(hub, analysis, fake_hub):
    client = fake_hub.state.table("auth.clients")[analysis["clientId"]]
    assert client["name"] == analysis["id"]
    links = [
        link for link in fake_hub.state.table("auth.client_permissions").values() if link["clientId"] == client["id"]
    ]
    names = {fake_hub.state.table("auth.permissions")[link["permissionId"]]["name"] for link in links}
    assert names == {"analysis_self_storage_use", "analysis_self_message_broker_use"}


def test_analysis_create_invalid(hub, project):
    missing = hub.post("analyses", json={})
    assert issue_pairs(missing) == [("required", ["projectId"])]
    dangling = hub.post("analyses", json={"projectId": UNKNOWN_ID})
    assert dangling.json()["code"] == "entity_relation_invalid"
    arguments = hub.post("analyses", json={"projectId": project["id"], "imageCommandArguments": [{"value": "x"}]})
    assert arguments.json()["message"] == "Property imageCommandArguments.value is invalid"
    assert issue_pairs(arguments) == [("min_length", ["imageCommandArguments", "value"])]
    position = [{"value": "--ok", "position": "middle"}]
    response = hub.post("analyses", json={"projectId": project["id"], "imageCommandArguments": position})
    assert issue_pairs(response) == [("value_invalid", ["imageCommandArguments", "position"])]
    assert hub.get("analyses", params={"filter[projectId]": project["id"]}).json()["meta"]["total"] == 0


def test_analysis_update_and_delete(hub, analysis, project):
    arguments = [{"value": "--flag", "position": "before"}, {"value": "arg2"}]
    updated = accepted(hub.post(f"analyses/{analysis['id']}", json={"imageCommandArguments": arguments}))
    assert updated["imageCommandArguments"] == arguments
    renamed = accepted(hub.post(f"analyses/{analysis['id']}", json={"name": "Rec-Renamed", "projectId": UNKNOWN_ID}))
    assert renamed["name"] == "rec-renamed"
    assert renamed["projectId"] == project["id"]

    deleted = accepted(hub.delete(f"analyses/{analysis['id']}"))
    assert deleted["clientId"] is None
    assert deleted["project"]["analyses"] == 0
    assert hub.get(f"analyses/{analysis['id']}").json()["message"] == "The analysis was not found."


def test_analysis_master_image_change_resets_arguments(hub, analysis):
    image = hub.get("master-images").json()["data"][0]
    accepted(hub.post(f"analyses/{analysis['id']}", json={"imageCommandArguments": [{"value": "--flag"}]}))
    updated = accepted(hub.post(f"analyses/{analysis['id']}", json={"masterImageId": image["id"]}))
    assert updated["imageCommandArguments"] is None
    assert updated["configurationImageValid"] is True


def test_analysis_default_sort(hub, project):
    first = created(hub.post("analyses", json={"projectId": project["id"], "name": "rec-first"}))
    created(hub.post("analyses", json={"projectId": project["id"], "name": "rec-second"}))
    accepted(hub.post(f"analyses/{first['id']}", json={"description": "Touched last."}))
    names = [item["name"] for item in hub.get("analyses").json()["data"]]
    assert names == ["rec-first", "rec-second"]
    assert hub.get("analyses").json()["meta"]["schema"]["sorts"]["default"] == {"updatedAt": "DESC"}


def test_analysis_create_only_by_users(hub, project, fake_hub):
    fake_hub.create_client("worker", "rec-client-secret-123456", permissions=("analysis_create",))
    body = {"grant_type": "client_credentials", "client_id": "worker", "client_secret": "rec-client-secret-123456"}
    token = httpx2.post(fake_hub.auth_url + "token", json=body).json()["access_token"]
    response = httpx2.post(
        fake_hub.core_url + "analyses", json={"projectId": project["id"]}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403
    assert response.json()["message"] == "Only user accounts are permitted to create an analysis."


# -- analysis nodes and derived fields --------------------------------------------------------------------------


def test_analysis_attaches_approved_project_nodes(hub, project):
    attach(hub, project, "rec-node")
    attach(hub, project, "rec-agg", "aggregator")
    analysis = created(hub.post("analyses", json={"projectId": project["id"]}))
    assert analysis["nodes"] == 2
    assert analysis["configurationNodesValid"] is True
    assert analysis["buildNodesValid"] is False
    assert analysis["nodesApproved"] == 1


def test_analysis_node_idempotent(hub, project, analysis):
    node = attach(hub, project, "rec-node")
    first = created(hub.post("analysis-nodes", json={"analysisId": analysis["id"], "nodeId": node["id"]}))
    assert first["analysis"]["id"] == analysis["id"]
    assert first["node"]["id"] == node["id"]
    again = created(
        hub.post("analysis-nodes", json={"analysisId": analysis["id"], "nodeId": node["id"], "comment": "x"})
    )
    assert again["id"] == first["id"]
    assert again["comment"] is None
    stored = hub.get(f"analyses/{analysis['id']}").json()["data"]
    assert stored["nodes"] == 1
    assert stored["executionProgress"] == 0


def test_analysis_node_outside_project(hub, analysis):
    outsider = created(hub.post("nodes", json={"name": "rec-outsider"}))
    response = hub.post("analysis-nodes", json={"analysisId": analysis["id"], "nodeId": outsider["id"]})
    assert response.status_code == 404
    assert response.json()["message"] == "The referenced node is not part of the analysis project."
    unknown = hub.post("analysis-nodes", json={"analysisId": analysis["id"], "nodeId": UNKNOWN_ID})
    assert unknown.json()["message"] == "Can't find node entity by nodeId"


def test_analysis_execution_derived(hub, project):
    first = attach(hub, project, "rec-one")
    attach(hub, project, "rec-two")
    analysis = created(hub.post("analyses", json={"projectId": project["id"]}))
    links = hub.get("analysis-nodes", params={"filter[analysisId]": analysis["id"]}).json()["data"]
    by_node = {link["nodeId"]: link for link in links}
    link = by_node[first["id"]]
    accepted(hub.post(f"analysis-nodes/{link['id']}", json={"executionStatus": "executing", "executionProgress": 50}))
    stored = hub.get(f"analyses/{analysis['id']}").json()["data"]
    assert stored["executionStatus"] == "executing"
    assert stored["executionProgress"] == 25


def test_analysis_node_update_validation(hub, project, analysis):
    node = attach(hub, project, "rec-node")
    link = created(hub.post("analysis-nodes", json={"analysisId": analysis["id"], "nodeId": node["id"]}))
    too_big = hub.post(f"analysis-nodes/{link['id']}", json={"executionProgress": 101})
    assert issue_pairs(too_big) == [("max_value", ["executionProgress"])]
    status = hub.post(f"analysis-nodes/{link['id']}", json={"executionStatus": "flying"})
    assert issue_pairs(status) == [("one_of_failed", ["executionStatus"])]


# -- commands -------------------------------------------------------------------------------------------------


def test_analysis_lock_preconditions(hub, analysis):
    response = command(hub, analysis, "configurationLock")
    assert response.status_code == 400
    assert response.json()["code"] == "ANALYSIS_ERROR"
    assert command(hub, analysis, "explode").json()["message"] == "Invalid command."


def test_analysis_command_lifecycle(hub, project):
    attach(hub, project, "rec-node")
    attach(hub, project, "rec-agg", "aggregator")
    image = hub.get("master-images").json()["data"][0]
    analysis = created(hub.post("analyses", json={"projectId": project["id"], "masterImageId": image["id"]}))
    add_entrypoint(hub, analysis)
    assert hub.get(f"analyses/{analysis['id']}").json()["data"]["configurationEntrypointValid"] is True

    locked = accepted(command(hub, analysis, "configurationLock"))
    assert locked["configurationLocked"] is True
    assert command(hub, analysis, "configurationLock").json()["code"] == "ANALYSIS_ERROR"
    assert command(hub, analysis, "buildStart").json()["code"] == "ANALYSIS_ERROR"

    for link in hub.get("analysis-nodes", params={"filter[analysisId]": analysis["id"]}).json()["data"]:
        accepted(hub.post(f"analysis-nodes/{link['id']}", json={"approvalStatus": "approved"}))
    started = accepted(command(hub, analysis, "buildStart"))
    assert started["buildStatus"] == "starting"
    assert command(hub, analysis, "configurationUnlock").json()["code"] == "ANALYSIS_ERROR"


def test_analysis_unlock_resets_approvals(hub, project):
    node = attach(hub, project, "rec-node")
    attach(hub, project, "rec-agg", "aggregator")
    image = hub.get("master-images").json()["data"][0]
    analysis = created(hub.post("analyses", json={"projectId": project["id"], "masterImageId": image["id"]}))
    add_entrypoint(hub, analysis)
    accepted(command(hub, analysis, "configurationLock"))
    unlocked = accepted(command(hub, analysis, "configurationUnlock"))
    assert unlocked["configurationLocked"] is False
    links = hub.get("analysis-nodes", params={"filter[nodeId]": node["id"]}).json()["data"]
    assert links[0]["approvalStatus"] is None


def test_locked_analysis_rejects_nodes(hub, project):
    attach(hub, project, "rec-node")
    attach(hub, project, "rec-agg", "aggregator")
    image = hub.get("master-images").json()["data"][0]
    analysis = created(hub.post("analyses", json={"projectId": project["id"], "masterImageId": image["id"]}))
    late = attach(hub, project, "rec-late")
    add_entrypoint(hub, analysis)
    accepted(command(hub, analysis, "configurationLock"))
    response = hub.post("analysis-nodes", json={"analysisId": analysis["id"], "nodeId": late["id"]})
    assert response.status_code == 400
    assert response.json()["message"] == "The analysis configuration is locked."


# -- buckets and files -----------------------------------------------------------------------------------------


def test_analysis_bucket_rules(hub, analysis):
    bucket_id = "11111111-1111-4111-8111-111111111111"
    body = {"type": "CODE", "bucketId": bucket_id, "analysisId": analysis["id"]}
    bucket = created(hub.post("analysis-buckets", json=body))
    assert bucket["analysis"]["id"] == analysis["id"]
    assert bucket["realmId"] == analysis["realmId"]
    assert hub.post("analysis-buckets", json=body).status_code == 409
    assert issue_pairs(hub.post("analysis-buckets", json={**body, "type": "SOURCE"})) == [("one_of_failed", ["type"])]
    unchanged = accepted(hub.post(f"analysis-buckets/{bucket['id']}", json={"type": "RESULT"}))
    assert unchanged["type"] == "CODE"


def test_analysis_bucket_file_root_flag(hub, analysis):
    entry = add_entrypoint(hub, analysis)
    assert entry["analysisBucket"]["type"] == "CODE"
    assert entry["analysisId"] == analysis["id"]
    accepted(hub.post(f"analysis-bucket-files/{entry['id']}", json={"root": False}))
    assert hub.get(f"analyses/{analysis['id']}").json()["data"]["configurationEntrypointValid"] is False
    duplicate = {key: entry[key] for key in ("analysisBucketId", "bucketId", "bucketFileId", "path")}
    assert hub.post("analysis-bucket-files", json=duplicate).status_code == 409


# -- client credentials and permissions --------------------------------------------------------------------------


def test_analysis_credentials(hub, analysis, fake_hub):
    credentials = hub.get(f"analyses/{analysis['id']}/client/credentials").json()
    assert credentials["id"] == analysis["clientId"]
    assert credentials["name"] == analysis["id"]
    body = {"secret": "rec-client-secret-123456", "name": "ignored"}
    changed = hub.post(f"analyses/{analysis['id']}/client/credentials", json=body).json()
    assert changed["secret"] == "rec-client-secret-123456"
    assert changed["name"] == analysis["id"]
    login = {"grant_type": "client_credentials", "client_id": analysis["clientId"], "client_secret": changed["secret"]}
    assert httpx2.post(fake_hub.auth_url + "token", json=login).status_code == 200


def test_analysis_client_permissions(hub, analysis, fake_hub):
    listed = hub.get(f"analyses/{analysis['id']}/client/permissions").json()
    assert listed["meta"]["total"] == 2
    assert {item["permission"]["name"] for item in listed["data"]} == {
        "analysis_self_storage_use",
        "analysis_self_message_broker_use",
    }
    storage = next(item for item in listed["data"] if item["permission"]["name"] == "analysis_self_storage_use")
    removed = hub.delete(f"analyses/{analysis['id']}/client/permissions/{storage['permissionId']}")
    assert removed.status_code == 202
    assert hub.get(f"analyses/{analysis['id']}/client/permissions").json()["meta"]["total"] == 1
    added = hub.post(f"analyses/{analysis['id']}/client/permissions", json={"permissionId": storage["permissionId"]})
    assert added.status_code == 201
    again = hub.post(f"analyses/{analysis['id']}/client/permissions", json={"permissionId": storage["permissionId"]})
    assert again.status_code == 500

    other = next(p for p in fake_hub.state.table("auth.permissions").values() if p["name"] == "node_create")
    rejected = hub.post(f"analyses/{analysis['id']}/client/permissions", json={"permissionId": other["id"]})
    assert rejected.status_code == 403


# -- logs ---------------------------------------------------------------------------------------------------------


def test_analysis_logs_need_filter(hub, analysis):
    response = hub.get("analysis-logs")
    assert response.status_code == 400
    assert response.json()["message"] == "The filter analysisId must be defined."
    negated = hub.get("analysis-logs", params={"filter[analysisId]": "!" + analysis["id"]})
    assert negated.status_code == 400
    assert "'ne'" in negated.json()["message"]
    page = hub.get("analysis-logs", params={"filter": f"eq(analysisId,'{analysis['id']}')"}).json()
    assert page["data"] == []
    assert page["meta"]["total"] == 0


def test_analysis_node_logs_round_trip(hub, project, analysis):
    node = created(hub.post("nodes", json={"name": "rec-node"}))
    body = {
        "analysisId": analysis["id"],
        "nodeId": node["id"],
        "level": "info",
        "message": "hello",
        "status": "running",
    }
    log = accepted(hub.post("analysis-node-logs", json=body))
    assert log["service"] == "hub-server-core"
    assert log["labels"] == {
        "refType": "analysisNode",
        "analysisId": analysis["id"],
        "nodeId": node["id"],
        "status": "running",
    }
    params = {"filter[analysisId]": analysis["id"], "filter[nodeId]": node["id"]}
    assert hub.get("analysis-node-logs", params=params).json()["meta"]["total"] == 1
    assert hub.get("analysis-logs", params={"filter[analysisId]": analysis["id"]}).json()["meta"]["total"] == 1

    deleted = hub.delete("analysis-node-logs", params=params)
    assert deleted.status_code == 202
    assert deleted.content == b""
    assert "content-type" not in deleted.headers
    assert hub.get("analysis-node-logs", params=params).json()["meta"]["total"] == 0


def test_analysis_node_logs_invalid(hub, analysis):
    empty = hub.post("analysis-node-logs", json={})
    assert [path for _, path in issue_pairs(empty)] == [["nodeId"], ["analysisId"], ["message"], ["level"]]
    body = {"analysisId": UNKNOWN_ID, "nodeId": UNKNOWN_ID, "level": "info", "message": "hello"}
    unknown = hub.post("analysis-node-logs", json=body)
    assert issue_pairs(unknown) == [("value_invalid", ["nodeId"]), ("value_invalid", ["analysisId"])]
    missing = hub.get("analysis-node-logs", params={"filter[analysisId]": analysis["id"]})
    assert missing.json()["message"] == "The filters nodeId and analysisId must be defined."


# -- master images, events, services ---------------------------------------------------------------------------------


def test_master_images_seeded(hub):
    images = hub.get("master-images").json()
    assert [image["path"] for image in images["data"]] == ["python/base", "python/slim"]
    assert images["data"][1]["commandArguments"] is None
    groups = hub.get("master-image-groups").json()["data"]
    assert [group["name"] for group in groups] == ["python"]
    descending = hub.get("master-images", params={"sort": "-path", "page[limit]": "1"}).json()["data"]
    assert [image["path"] for image in descending] == ["python/slim"]


def test_master_image_commands(hub):
    image = hub.get("master-images").json()["data"][0]
    built = accepted(hub.post("master-images/command", json={"command": "build", "id": image["id"]}))
    assert built["buildStatus"] == "starting"
    assert hub.post("master-images/command", json={"command": "build"}).status_code == 400
    assert hub.post("master-images/command", json={}).json()["message"] == "Unknown command: undefined"
    sync = hub.post("master-images/command", json={"command": "sync"})
    assert sync.status_code == 202
    assert sync.json() == {"data": None, "meta": {}}
    assert hub.post("master-images", json={"name": "x"}).status_code == 404


def test_analysis_node_events_read_only(hub):
    assert hub.get("analysis-node-events").json()["meta"]["total"] == 0
    assert hub.get(f"analysis-node-events/{UNKNOWN_ID}").status_code == 404
    assert hub.post("analysis-node-events", json={}).json() == {"status": 404, "message": "Not Found"}


def test_registry_service_commands(hub):
    registry = created(hub.post("registries", json={"name": "harbor", "host": "harbor.example.org"}))
    setup = hub.post("services/registry/command", json={"command": "setup", "id": registry["id"]})
    assert setup.status_code == 202
    assert setup.content == b""
    cleanup = hub.post("services/registry/command", json={"command": "cleanup", "id": registry["id"]})
    assert cleanup.status_code == 500
    unknown = hub.post("services/registry/command", json={"command": "nonsense", "id": registry["id"]})
    assert unknown.json()["message"] == "Unknown command: nonsense"
    missing = hub.post("services/registry/command", json={"command": "projectLink", "id": UNKNOWN_ID})
    assert missing.json()["message"] == "The registry-project was not found."
    service = hub.post("services/unknown/command", json={"command": "setup", "id": registry["id"]})
    assert service.json()["message"] == "The service was not found."
    assert hub.post("services/registry/hook", json={}).status_code == 202


# -- node client ------------------------------------------------------------------------------------------------


def node_client_login(hub: httpx2.Client, fake_hub: FakeHub, node: dict) -> httpx2.Client:
    secret = hub.get(f"nodes/{node['id']}/client/credentials").json()["secret"]
    body = {"grant_type": "client_credentials", "client_id": node["clientId"], "client_secret": secret}
    token = httpx2.post(fake_hub.auth_url + "token", json=body).json()["access_token"]
    return httpx2.Client(base_url=fake_hub.core_url, headers={"Authorization": f"Bearer {token}"})


def test_node_client_reports_execution(hub, project, fake_hub):
    node = attach(hub, project, "rec-node")
    analysis = created(hub.post("analyses", json={"projectId": project["id"]}))
    link = hub.get("analysis-nodes", params={"filter[nodeId]": node["id"]}).json()["data"][0]
    with node_client_login(hub, fake_hub, node) as node_client:
        progress = node_client.post(f"analysis-nodes/{link['id']}", json={"executionStatus": "executed"})
        approval = node_client.post(f"analysis-nodes/{link['id']}", json={"approvalStatus": "approved"})
        credentials = node_client.get(f"analyses/{analysis['id']}/client/credentials")
        log = node_client.post(
            "analysis-node-logs",
            json={"analysisId": analysis["id"], "nodeId": node["id"], "level": "info", "message": "done"},
        )
    assert progress.status_code == 202
    assert approval.status_code == 400
    assert credentials.status_code == 200
    assert log.status_code == 202
    assert hub.get(f"analyses/{analysis['id']}").json()["data"]["executionStatus"] == "executed"
