"""The fake Hub's core service over HTTP: registries, registry projects, projects and project nodes."""

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


def other_realm_user(fake_hub: FakeHub, permissions: tuple[str, ...] = ()) -> httpx2.Client:
    """Create realm ``other`` with a user holding ``permissions`` and return a client logged in as that user."""
    fake_hub.create_realm("other")
    fake_hub.create_user("someone", "Rec-pass-1234", realm="other", permissions=permissions)
    body = {"grant_type": "password", "username": "someone", "password": "Rec-pass-1234", "realm_name": "other"}
    response = httpx2.post(fake_hub.auth_url + "token", json=body)
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return httpx2.Client(base_url=fake_hub.core_url, headers=headers)


def created(response: httpx2.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()["data"]


def issue_pairs(response: httpx2.Response) -> list[tuple[str, list[str]]]:
    return [(issue["code"], issue["path"]) for issue in response.json()["issues"]]


# -- registries ---------------------------------------------------------------------------------------------


def test_registry_secret_hidden_on_reads(hub):
    body = {"name": "harbor", "host": "harbor.example.org", "accountSecret": "rec-account-secret-1"}
    registry = created(hub.post("registries", json=body))
    assert registry["accountSecret"] == "rec-account-secret-1"
    read = hub.get(f"registries/{registry['id']}").json()["data"]
    assert "accountSecret" not in read
    listed = hub.get("registries").json()["data"][0]
    assert "accountSecret" not in listed
    selected = hub.get(f"registries/{registry['id']}", params={"fields": "+accountSecret"}).json()["data"]
    assert selected["accountSecret"] == "rec-account-secret-1"


def test_registry_host_normalised(hub):
    registry = created(hub.post("registries", json={"name": "harbor", "host": "https://h.example.org:8443/path"}))
    assert registry["host"] == "h.example.org"


def test_registry_unique_name_and_host(hub):
    created(hub.post("registries", json={"name": "harbor", "host": "a.example.org"}))
    assert hub.post("registries", json={"name": "harbor", "host": "b.example.org"}).status_code == 409
    assert hub.post("registries", json={"name": "other", "host": "a.example.org"}).status_code == 409


def test_registry_invalid(hub):
    response = hub.post("registries", json={"name": 7, "host": 8})
    assert response.status_code == 400
    assert response.json()["message"] == "Properties name, host are invalid."
    assert issue_pairs(response) == [("value_invalid", ["name"]), ("value_invalid", ["host"])]


def test_registry_update_and_delete(hub):
    registry = created(hub.post("registries", json={"name": "harbor", "host": "a.example.org"}))
    updated = hub.post(f"registries/{registry['id']}", json={"accountName": "robot", "foo": 1})
    assert updated.status_code == 202
    assert updated.json()["data"]["accountName"] == "robot"
    deleted = hub.delete(f"registries/{registry['id']}")
    assert deleted.status_code == 202
    assert "accountSecret" not in deleted.json()["data"]
    assert hub.delete(f"registries/{registry['id']}").json()["message"] == "The registry was not found."


def test_registry_create_needs_permission(fake_hub):
    with other_realm_user(fake_hub) as user:
        response = user.post("registries", json={"name": "harbor", "host": "a.example.org"})
    assert response.status_code == 400
    assert issue_pairs(response) == [("permission_not_found", ["registry_manage"])]


# -- registry projects ---------------------------------------------------------------------------------------


@pytest.fixture
def registry(hub) -> dict:
    return created(hub.post("registries", json={"name": "harbor", "host": "harbor.example.org"}))


def test_registry_project_create_embeds_registry(hub, registry):
    body = {"name": "rec-proj", "type": "default", "registryId": registry["id"], "externalName": "rec-ext"}
    project = created(hub.post("registry-projects", json={**body, "accountSecret": "ignored", "public": False}))
    assert project["registry"]["id"] == registry["id"]
    assert project["public"] is True
    assert project["accountSecret"] is None
    assert project["realmId"] is None


def test_registry_project_update_ignores_create_keys(hub, registry):
    body = {"name": "rec-proj", "type": "default", "registryId": registry["id"], "externalName": "rec-ext"}
    project = created(hub.post("registry-projects", json=body))
    updated = hub.post(f"registry-projects/{project['id']}", json={"name": "rec-proj2", "type": "node"}).json()
    assert updated["data"]["name"] == "rec-proj2"
    assert updated["data"]["type"] == "default"


def test_registry_project_invalid(hub, registry):
    response = hub.post("registry-projects", json={})
    assert response.status_code == 400
    assert [path for _, path in issue_pairs(response)] == [["registryId"], ["name"], ["externalName"], ["type"]]
    dangling = {"name": "rec-proj", "type": "default", "registryId": UNKNOWN_ID, "externalName": "rec-ext"}
    response = hub.post("registry-projects", json=dangling)
    assert response.status_code == 400
    assert response.json()["code"] == "entity_relation_invalid"
    assert response.json()["message"] == "Can't find registry entity by registryId"


def test_registry_project_duplicates(hub, registry):
    body = {"name": "rec-proj", "type": "default", "registryId": registry["id"], "externalName": "rec-ext"}
    created(hub.post("registry-projects", json=body))
    assert hub.post("registry-projects", json={**body, "name": "rec-other"}).status_code == 409
    assert hub.post("registry-projects", json={**body, "externalName": "rec-ext2"}).status_code == 409


# -- projects -------------------------------------------------------------------------------------------------


def test_project_generated_name(hub, fake_hub):
    project = created(hub.post("projects", json={}))
    assert re.fullmatch(r"[a-z]+-[a-z]+-[0-9a-f]{6}", project["name"])
    assert project["userId"] == fake_hub.state.known["admin_user_id"]
    assert (project["nodes"], project["analyses"]) == (0, 0)


def test_project_name_normalised(hub):
    body = {"name": "  Rec-Full  ", "nodes": 5, "realmId": UNKNOWN_ID}
    project = created(hub.post("projects", json=body))
    assert project["name"] == "rec-full"
    assert project["nodes"] == 0
    assert project["realmId"] != UNKNOWN_ID


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("has space", "Whitespace character is not allowed."),
        ("bad/slash", "Only the characters [a-z0-9-_.]+ are allowed."),
        ("ab", "Too small: expected string to have >=3 characters"),
    ],
)
def test_project_name_rules(hub, name, message):
    response = hub.post("projects", json={"name": name})
    assert response.status_code == 400
    assert response.json()["issues"][0]["message"] == message


def test_project_duplicate_name(hub):
    created(hub.post("projects", json={"name": "rec-project"}))
    response = hub.post("projects", json={"name": "REC-PROJECT"})
    assert response.status_code == 409
    assert response.json()["code"] == "entity_conflict"


def test_project_master_image_reference(hub):
    response = hub.post("projects", json={"name": "rec-p", "masterImageId": UNKNOWN_ID})
    assert response.status_code == 400
    assert response.json()["message"] == "Can't find masterImage entity by masterImageId"
    image = hub.get("master-images").json()["data"][0]
    project = created(hub.post("projects", json={"name": "rec-p", "masterImageId": image["id"]}))
    included = hub.get(f"projects/{project['id']}", params={"include": "masterImage"}).json()["data"]
    assert included["masterImage"]["path"] == image["path"]


def test_project_update_other_realm_forbidden(hub, fake_hub):
    project = created(hub.post("projects", json={"name": "rec-project"}))
    with other_realm_user(fake_hub, ("project_update",)) as user:
        response = user.post(f"projects/{project['id']}", json={"displayName": "Changed"})
    assert response.status_code == 403
    assert hub.get(f"projects/{project['id']}").json()["data"]["displayName"] is None


def test_project_list_fields_and_expression(hub):
    created(hub.post("projects", json={"name": "rec-pa", "displayName": "Alpha"}))
    created(hub.post("projects", json={"name": "rec-pb", "displayName": "Beta"}))
    data = hub.get("projects", params={"fields": "name,nodes", "sort": "-displayName"}).json()["data"]
    assert data == [{"name": "rec-pb", "nodes": 0}, {"name": "rec-pa", "nodes": 0}]
    matched = hub.get("projects", params={"filter": "eq(displayName,'alpha')"}).json()["data"]
    assert [item["name"] for item in matched] == ["rec-pa"]


# -- project nodes ------------------------------------------------------------------------------------------


@pytest.fixture
def project(hub) -> dict:
    return created(hub.post("projects", json={"name": "rec-project"}))


def test_project_node_counter(hub, project):
    node = created(hub.post("nodes", json={"name": "rec-node"}))
    link = created(hub.post("project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    assert link["approvalStatus"] is None
    assert link["project"]["nodes"] == 0
    assert link["node"]["id"] == node["id"]
    assert link["projectRealmId"] == project["realmId"]
    assert hub.get(f"projects/{project['id']}").json()["data"]["nodes"] == 1

    duplicate = hub.post("project-nodes", json={"projectId": project["id"], "nodeId": node["id"]})
    assert duplicate.status_code == 409

    deleted = hub.delete(f"project-nodes/{link['id']}").json()["data"]
    assert deleted["project"]["nodes"] == 0
    assert hub.get(f"projects/{project['id']}").json()["data"]["nodes"] == 0


def test_project_node_aggregator_approved(hub, project):
    node = created(hub.post("nodes", json={"name": "rec-agg", "type": "aggregator"}))
    link = created(hub.post("project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    assert link["approvalStatus"] == "approved"


def test_project_node_update_approval(hub, project):
    node = created(hub.post("nodes", json={"name": "rec-node"}))
    link = created(hub.post("project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    body = {"approvalStatus": "approved", "comment": "looks fine", "projectId": UNKNOWN_ID}
    updated = hub.post(f"project-nodes/{link['id']}", json=body).json()["data"]
    assert updated["approvalStatus"] == "approved"
    assert updated["projectId"] == project["id"]
    invalid = hub.post(f"project-nodes/{link['id']}", json={"approvalStatus": "maybe"})
    assert issue_pairs(invalid) == [("one_of_failed", ["approvalStatus"])]


def test_project_node_dangling_references(hub, project):
    response = hub.post("project-nodes", json={"projectId": project["id"], "nodeId": UNKNOWN_ID})
    assert response.status_code == 400
    assert response.json()["code"] == "entity_relation_invalid"


def test_project_node_needs_both_permissions(hub, project, fake_hub):
    node = created(hub.post("nodes", json={"name": "rec-node"}))
    with other_realm_user(fake_hub, ("project_create",)) as user:
        response = user.post("project-nodes", json={"projectId": project["id"], "nodeId": node["id"]})
    assert response.status_code == 400
    assert response.json()["message"] == "The evaluation of permissions project_create, project_update failed"
    assert issue_pairs(response) == [("permission_not_found", ["project_update"])]


def test_node_delete_cascades_project_nodes(hub, project):
    node = created(hub.post("nodes", json={"name": "rec-node"}))
    link = created(hub.post("project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    hub.delete(f"nodes/{node['id']}")
    assert hub.get(f"project-nodes/{link['id']}").status_code == 404
    # The Hub leaves the counter as it was.
    assert hub.get(f"projects/{project['id']}").json()["data"]["nodes"] == 1


def test_project_delete_refused_with_analyses(hub, project):
    analysis = created(hub.post("analyses", json={"projectId": project["id"]}))
    response = hub.delete(f"projects/{project['id']}")
    assert response.status_code == 400
    assert response.json()["message"] == "The project still has associated analyses."
    hub.delete(f"analyses/{analysis['id']}")
    assert hub.delete(f"projects/{project['id']}").status_code == 202


def test_registry_secret_needs_permission(hub, fake_hub):
    created(hub.post("registries", json={"name": "harbor", "host": "a.example.org", "accountSecret": "secret-1"}))
    with other_realm_user(fake_hub) as user:
        plain = user.get("registries")
        selected = user.get("registries", params={"fields": "+accountSecret"})
    assert plain.status_code == 200
    assert selected.status_code == 400
    assert issue_pairs(selected) == [("permission_not_found", ["registry_manage"])]
