"""The fake Hub's core service over HTTP: nodes, their Authup clients, credentials and list queries."""

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


def login(fake_hub: FakeHub, body: dict) -> httpx2.Client:
    response = httpx2.post(fake_hub.auth_url + "token", json=body)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    return httpx2.Client(base_url=fake_hub.core_url, headers={"Authorization": f"Bearer {token}"})


def other_realm_user(fake_hub: FakeHub, permissions: tuple[str, ...] = ()) -> httpx2.Client:
    """Create realm ``other`` with a user holding ``permissions`` and return a client logged in as that user."""
    fake_hub.create_realm("other")
    fake_hub.create_user("someone", "Rec-pass-1234", realm="other", permissions=permissions)
    body = {"grant_type": "password", "username": "someone", "password": "Rec-pass-1234", "realm_name": "other"}
    return login(fake_hub, body)


def create_node(hub: httpx2.Client, name: str, **extra: object) -> dict:
    response = hub.post("nodes", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def issue_pairs(response: httpx2.Response) -> list[tuple[str, list[str]]]:
    return [(issue["code"], issue["path"]) for issue in response.json()["issues"]]


# -- create, read, update, delete -------------------------------------------------------------------------


def test_node_create_defaults(hub, fake_hub):
    node = create_node(hub, "alpha")
    assert node["type"] == "default"
    assert node["hidden"] is False
    assert node["online"] is False
    assert node["realmId"] == fake_hub.state.known["master_realm_id"]
    assert node["registryId"] is None


def test_node_create_provisions_client(hub, fake_hub):
    node = create_node(hub, "alpha")
    client = fake_hub.state.table("auth.clients")[node["clientId"]]
    assert client["name"] == node["id"]
    assert client["realmId"] == node["realmId"]
    links = [
        link for link in fake_hub.state.table("auth.client_permissions").values() if link["clientId"] == client["id"]
    ]
    names = [fake_hub.state.table("auth.permissions")[link["permissionId"]]["name"] for link in links]
    assert names == ["analysis_update"]


def test_node_create_drops_server_keys(hub):
    node = create_node(hub, "alpha", online=True, id=UNKNOWN_ID, robotId=UNKNOWN_ID, foo="bar")
    assert node["online"] is False
    assert node["id"] != UNKNOWN_ID
    assert node["robotId"] is None
    assert "foo" not in node


def test_node_create_hex_encodes_public_key(hub):
    assert create_node(hub, "alpha", publicKey="abcdef0123")["publicKey"] == "abcdef0123"
    assert create_node(hub, "beta", publicKey="not hex!")["publicKey"] == b"not hex!".hex()


def test_node_create_validation_issues(hub):
    response = hub.post("nodes", json={"name": "x", "type": "nope", "hidden": 3})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_request"
    assert body["message"] == "Properties name, type, hidden are invalid."
    assert issue_pairs(response) == [
        ("min_length", ["name"]),
        ("one_of_failed", ["type"]),
        ("value_invalid", ["hidden"]),
    ]
    assert body["issues"][0]["data"] == {"min": 3}
    assert "meta" not in body["issues"][0]
    assert body["issues"][1]["meta"] == {"optional": True}


@pytest.mark.parametrize(
    ("body", "code", "path"),
    [
        ({}, "required", ["name"]),
        ({"name": 12345}, "value_invalid", ["name"]),
        ({"name": "x" * 129}, "max_length", ["name"]),
        ({"name": "alpha", "externalName": "Has Spaces!"}, "pattern", ["externalName"]),
        ({"name": "alpha", "externalName": ""}, "min_length", ["externalName"]),
        ({"name": "alpha", "publicKey": "ab"}, "min_length", ["publicKey"]),
        ({"name": "alpha", "realmId": "not-a-uuid"}, "uuid", ["realmId"]),
    ],
)
def test_node_create_invalid_field(hub, body, code, path):
    response = hub.post("nodes", json=body)
    assert response.status_code == 400
    assert issue_pairs(response) == [(code, path)]


def test_node_create_array_body_like_empty(hub):
    response = hub.post("nodes", json=[1, 2])
    assert response.status_code == 400
    assert issue_pairs(response) == [("required", ["name"])]


def test_node_create_malformed_json(hub):
    response = hub.post("nodes", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"


def test_node_name_unique_per_realm(hub):
    create_node(hub, "alpha")
    duplicate = hub.post("nodes", json={"name": "alpha"})
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "entity_conflict"
    assert hub.post("nodes", json={"name": "ALPHA"}).status_code == 201


def test_node_dangling_registry(hub):
    response = hub.post("nodes", json={"name": "alpha", "registryId": UNKNOWN_ID})
    assert response.status_code == 400
    assert response.json()["code"] == "entity_relation_invalid"


def test_node_update_partial(hub):
    node = create_node(hub, "alpha", externalName="ext-alpha")
    response = hub.post(f"nodes/{node['id']}", json={"hidden": True, "realmId": UNKNOWN_ID, "foo": 1})
    assert response.status_code == 202
    updated = response.json()["data"]
    assert updated["hidden"] is True
    assert updated["realmId"] == node["realmId"]
    assert updated["externalName"] == "ext-alpha"


def test_node_update_explicit_null(hub):
    node = create_node(hub, "alpha", externalName="ext-alpha")
    updated = hub.post(f"nodes/{node['id']}", json={"externalName": None}).json()["data"]
    assert updated["externalName"] is None


def test_node_update_empty_keeps_timestamp(hub):
    node = create_node(hub, "alpha")
    updated = hub.post(f"nodes/{node['id']}", json={}).json()["data"]
    assert updated["updatedAt"] == node["updatedAt"]


def test_node_update_null_name_keeps_state(hub):
    node = create_node(hub, "alpha")
    response = hub.post(f"nodes/{node['id']}", json={"name": None, "hidden": True})
    assert response.status_code == 500
    stored = hub.get(f"nodes/{node['id']}").json()["data"]
    assert stored["name"] == "alpha"
    assert stored["hidden"] is False


def test_node_update_invalid_keeps_state(hub):
    node = create_node(hub, "alpha")
    response = hub.post(f"nodes/{node['id']}", json={"name": "x", "hidden": True})
    assert response.status_code == 400
    assert response.json()["issues"][0]["meta"] == {"optional": True}
    assert hub.get(f"nodes/{node['id']}").json()["data"]["hidden"] is False


def test_node_update_null_client_fails(hub):
    node = create_node(hub, "alpha")
    response = hub.post(f"nodes/{node['id']}", json={"clientId": None})
    assert response.status_code == 500
    assert hub.get(f"nodes/{node['id']}").json()["data"]["clientId"] == node["clientId"]


def test_node_rename_to_taken_name(hub):
    create_node(hub, "alpha")
    beta = create_node(hub, "beta")
    assert hub.post(f"nodes/{beta['id']}", json={"name": "alpha"}).status_code == 409


def test_node_delete_removes_client(hub, fake_hub):
    node = create_node(hub, "alpha")
    response = hub.delete(f"nodes/{node['id']}")
    assert response.status_code == 202
    assert response.json()["data"]["clientId"] is None
    assert response.json()["meta"] == {}
    assert node["clientId"] not in fake_hub.state.table("auth.clients")
    assert hub.delete(f"nodes/{node['id']}").status_code == 404
    assert hub.get(f"nodes/{node['id']}").json()["message"] == "The node was not found."


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_node_malformed_id(hub, method):
    response = hub.request(method, "nodes/not-a-uuid")
    assert response.status_code == 500
    assert response.json()["message"] == 'invalid input syntax for type uuid: "not-a-uuid"'


def test_node_record_read_fields_and_include(hub):
    node = create_node(hub, "alpha")
    assert hub.get(f"nodes/{node['id']}", params={"fields": "name"}).json()["data"] == {"name": "alpha"}
    included = hub.get(f"nodes/{node['id']}", params={"include": "registry"}).json()
    assert included["data"]["registry"] is None
    assert set(included["meta"]["schema"]) == {"name", "strict", "indexes", "fields", "relations"}


# -- authentication and permissions -------------------------------------------------------------------------


def test_nodes_need_token(fake_hub):
    response = httpx2.get(fake_hub.core_url + "nodes")
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "code": "identity_unauthorized",
        "message": "Authentication required.",
        "issues": [],
    }


def test_garbage_token_fails_everywhere(fake_hub):
    headers = {"Authorization": "Bearer invalid-garbage-token-0000"}
    assert httpx2.get(fake_hub.core_url + "nodes", headers=headers).status_code == 500
    assert httpx2.get(fake_hub.core_url, headers=headers).status_code == 500
    assert httpx2.get(fake_hub.core_url).json()["version"] == "0.14.0"


def test_node_create_without_permission(fake_hub):
    with other_realm_user(fake_hub) as user:
        response = user.post("nodes", json={"name": "alpha"})
        listed = user.get("nodes")
    assert response.status_code == 400
    assert response.json()["message"] == "The evaluation of permissions node_create failed"
    assert issue_pairs(response) == [("permission_not_found", ["node_create"])]
    assert listed.status_code == 200


def test_node_update_other_realm_forbidden(hub, fake_hub):
    node = create_node(hub, "alpha")
    with other_realm_user(fake_hub, ("node_update", "node_create")) as user:
        update = user.post(f"nodes/{node['id']}", json={"hidden": True})
        create = user.post("nodes", json={"name": "beta", "realmId": node["realmId"]})
        own = user.post("nodes", json={"name": "beta"})
    assert update.status_code == 403
    assert update.json()["code"] == "permission_denied"
    assert create.status_code == 403
    assert own.status_code == 201


# -- credentials ----------------------------------------------------------------------------------------------


def test_node_credentials_read_and_login(hub, fake_hub):
    node = create_node(hub, "alpha")
    credentials = hub.get(f"nodes/{node['id']}/client/credentials").json()
    assert credentials["id"] == node["clientId"]
    assert credentials["name"] == node["id"]
    assert re.fullmatch(r"[0-9a-f]{64}", credentials["secret"])

    body = {"grant_type": "client_credentials", "client_id": node["clientId"], "client_secret": credentials["secret"]}
    with login(fake_hub, body) as node_client:
        own = node_client.get(f"nodes/{node['id']}/client/credentials")
        create = node_client.post("nodes", json={"name": "beta"})
    assert own.status_code == 200
    assert create.status_code == 400


def test_node_credentials_set_secret(hub, fake_hub):
    node = create_node(hub, "alpha")
    response = hub.post(f"nodes/{node['id']}/client/credentials", json={"secret": "rec-client-secret-123456"})
    assert response.status_code == 200
    assert response.json()["secret"] == "rec-client-secret-123456"
    body = {
        "grant_type": "client_credentials",
        "client_id": node["clientId"],
        "client_secret": "rec-client-secret-123456",
    }
    login(fake_hub, body).close()


def test_node_credentials_generated_secret(hub):
    node = create_node(hub, "alpha")
    first = hub.post(f"nodes/{node['id']}/client/credentials", json={}).json()["secret"]
    second = hub.post(f"nodes/{node['id']}/client/credentials", json={"secret": None}).json()["secret"]
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != second


def test_node_credentials_short_secret(hub):
    node = create_node(hub, "alpha")
    before = hub.get(f"nodes/{node['id']}/client/credentials").json()["secret"]
    assert hub.post(f"nodes/{node['id']}/client/credentials", json={"secret": "x"}).status_code == 500
    assert hub.get(f"nodes/{node['id']}/client/credentials").json()["secret"] == before


def test_node_credentials_unknown_node(hub):
    response = hub.get(f"nodes/{UNKNOWN_ID}/client/credentials")
    assert response.status_code == 404
    assert response.json()["message"] == "The node was not found."


def test_node_registry_credentials_without_registry(hub):
    node = create_node(hub, "alpha")
    response = hub.get(f"nodes/{node['id']}/registry/credentials")
    assert response.status_code == 400
    assert response.json()["message"] == "The node has no registry project provisioned yet."


def test_node_with_registry_gets_project(hub):
    registry = hub.post("registries", json={"name": "harbor", "host": "https://harbor.example.org/x"}).json()["data"]
    node = create_node(hub, "alpha")
    assert node["registryId"] == registry["id"]
    assert node["registry"]["host"] == "harbor.example.org"
    assert re.fullmatch(r"[0-9a-z]{21}", node["externalName"])
    project = hub.get(f"registry-projects/{node['registryProjectId']}").json()["data"]
    assert project["type"] == "node"
    assert project["public"] is False
    credentials = hub.get(f"nodes/{node['id']}/registry/credentials").json()
    assert credentials["host"] == "harbor.example.org"
    assert credentials["externalName"] == node["externalName"]


def test_registry_delete_detaches_nodes(hub):
    registry = hub.post("registries", json={"name": "harbor", "host": "harbor.example.org"}).json()["data"]
    node = create_node(hub, "alpha", registryId=registry["id"])
    assert hub.delete(f"registries/{registry['id']}").status_code == 202
    stored = hub.get(f"nodes/{node['id']}").json()["data"]
    assert stored["registryId"] is None
    assert stored["registryProjectId"] is None
    assert hub.get(f"registry-projects/{node['registryProjectId']}").status_code == 404


# -- list queries ---------------------------------------------------------------------------------------------------


@pytest.fixture
def three_nodes(hub) -> list[dict]:
    return [
        create_node(hub, "rec-q-alpha"),
        create_node(hub, "rec-q-beta", hidden=True),
        create_node(hub, "rec-q-gamma", type="aggregator", externalName="rec-ext"),
    ]


def names(hub: httpx2.Client, query: str) -> list[str]:
    response = hub.get("nodes?" + query)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["data"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[name]=REC-Q-ALPHA", ["rec-q-alpha"]),
        ("filter[name]=!rec-q-alpha", ["rec-q-beta", "rec-q-gamma"]),
        ("filter[name]=~q-b~", ["rec-q-beta"]),
        ("filter[name]=rec-q-g~", ["rec-q-gamma"]),
        ("filter[name]=~mma", ["rec-q-gamma"]),
        ("filter[name]=~rec-q", []),
        ("filter[name]=!~alpha", ["rec-q-beta", "rec-q-gamma"]),
        ("filter[name]=rec-q-alpha,rec-q-beta", ["rec-q-alpha", "rec-q-beta"]),
        ("filter[name]=!rec-q-alpha,rec-q-beta", ["rec-q-gamma"]),
        ("filter[name]=%3Erec-q-b", ["rec-q-beta", "rec-q-gamma"]),
        ("filter[name]=%3C%3Drec-q-beta", ["rec-q-alpha", "rec-q-beta"]),
        ("filter[hidden]=true", ["rec-q-beta"]),
        ("filter[hidden]=false&filter[name]=~gamma", ["rec-q-gamma"]),
        ("filter[type]=aggregator", ["rec-q-alpha", "rec-q-beta", "rec-q-gamma"]),
        ("filter[registry.name]=nothing", []),
        ("filter[name]=rec-q-alpha&filter=name", ["rec-q-alpha", "rec-q-beta", "rec-q-gamma"]),
        ("filter=or(eq(name,'rec-q-alpha'),eq(hidden,true))", ["rec-q-alpha", "rec-q-beta"]),
    ],
)
def test_node_list_filters(hub, three_nodes, query, expected):
    assert sorted(names(hub, query)) == expected


def test_node_list_expression_rejected(hub, three_nodes):
    response = hub.get("nodes", params={"filter": "eq(type,'aggregator')"})
    assert response.status_code == 400
    assert issue_pairs(response) == [("keyNotAllowed", ["type"])]
    assert response.json()["issues"][0]["meta"] == {"parameter": "filters", "key": "type"}


def test_node_list_sort_and_page(hub, three_nodes):
    assert names(hub, "sort=-name") == ["rec-q-gamma", "rec-q-beta", "rec-q-alpha"]
    assert names(hub, "sort[name]=desc") == ["rec-q-gamma", "rec-q-beta", "rec-q-alpha"]
    body = hub.get("nodes?sort=name&page[limit]=2&page[offset]=1").json()
    assert [item["name"] for item in body["data"]] == ["rec-q-beta", "rec-q-gamma"]
    assert (body["meta"]["total"], body["meta"]["limit"], body["meta"]["offset"]) == (3, 2, 1)
    assert hub.get("nodes?page[limit]=500").json()["meta"]["limit"] == 50


def test_node_list_meta_schema(hub, three_nodes):
    schema = hub.get("nodes").json()["meta"]["schema"]
    assert schema["name"] == "node"
    assert schema["strict"] is True
    assert schema["filters"]["allowed"] == ["id", "name", "online", "hidden", "clientId", "realmId", "robotId"]
    assert schema["relations"]["allowed"] == ["registryProject", "registry"]


def test_node_list_include_and_fields(hub, three_nodes):
    data = hub.get("nodes?include=registry,realm&fields=name").json()["data"]
    assert data[0] == {"name": "rec-q-alpha", "registry": None}


def test_garbage_token_on_unknown_route(fake_hub):
    headers = {"Authorization": "Bearer invalid-garbage-token-0000"}
    assert httpx2.get(fake_hub.core_url + "services", headers=headers).status_code == 500
    assert httpx2.get(fake_hub.core_url + "services").status_code == 404
