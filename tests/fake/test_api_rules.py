"""Rules of the Hub's API that the recorded exchanges do not show, checked against the fake Hub over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx2
import pytest

from flame_hub.testing import FakeHub


@pytest.fixture
def http(fake_hub: FakeHub) -> Iterator[httpx2.Client]:
    """An HTTP client for the whole fake Hub, logged in as the seeded admin."""
    token = fake_hub.issue_admin_token()
    with httpx2.Client(base_url=fake_hub.url, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def created(response: httpx2.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()["data"]


def accepted(response: httpx2.Response) -> dict:
    assert response.status_code == 202, response.text
    return response.json()["data"]


def login(fake_hub: FakeHub, body: dict) -> httpx2.Client:
    response = httpx2.post(fake_hub.auth_url + "token", json=body)
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    return httpx2.Client(base_url=fake_hub.url, headers=headers)


def test_registry_delete_cascades_projects(http):
    registry = created(http.post("/core/registries", json={"name": "rules-registry", "host": "rules.example"}))
    body = {"name": "rules-project", "type": "default", "registryId": registry["id"], "externalName": "rules"}
    project = created(http.post("/core/registry-projects", json=body))

    accepted(http.delete(f"/core/registries/{registry['id']}"))

    assert http.get(f"/core/registry-projects/{project['id']}").status_code == 404


def test_analysis_registry_fixed_once_set(http):
    first = created(http.post("/core/registries", json={"name": "rules-first", "host": "first.example"}))
    second = created(http.post("/core/registries", json={"name": "rules-second", "host": "second.example"}))
    project = created(http.post("/core/projects", json={"name": "rules-project"}))
    analysis = created(http.post("/core/analyses", json={"projectId": project["id"], "registryId": first["id"]}))

    response = http.post(f"/core/analyses/{analysis['id']}", json={"registryId": second["id"]})

    assert response.status_code == 400
    assert http.get(f"/core/analyses/{analysis['id']}").json()["data"]["registryId"] == first["id"]


def test_analysis_delete_removes_client(http):
    project = created(http.post("/core/projects", json={"name": "rules-project"}))
    analysis = created(http.post("/core/analyses", json={"projectId": project["id"]}))
    client_id = analysis["clientId"]
    assert http.get(f"/auth/clients/{client_id}").status_code == 200

    accepted(http.delete(f"/core/analyses/{analysis['id']}"))

    assert http.get(f"/auth/clients/{client_id}").status_code == 404
    assert http.get(f"/core/projects/{project['id']}").json()["data"]["analyses"] == 0


def test_project_node_delete_decrements_counter(http):
    project = created(http.post("/core/projects", json={"name": "rules-project"}))
    node = created(http.post("/core/nodes", json={"name": "rules-node"}))
    link = created(http.post("/core/project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    assert http.get(f"/core/projects/{project['id']}").json()["data"]["nodes"] == 1

    accepted(http.delete(f"/core/project-nodes/{link['id']}"))

    assert http.get(f"/core/projects/{project['id']}").json()["data"]["nodes"] == 0


@pytest.mark.parametrize(
    "page",
    [{"page[limit]": "0"}, {"page[limit]": "-3"}, {"page[limit]": "many"}, {"page[offset]": "-1"}, {}],
    ids=["limit-zero", "limit-negative", "limit-text", "offset-negative", "absent"],
)
def test_invalid_page_falls_back(http, page):
    meta = http.get("/core/master-images", params=page).json()["meta"]

    assert meta["limit"] == 50
    assert meta["offset"] == 0


def test_fields_minus_removes_field(http):
    created(http.post("/core/nodes", json={"name": "rules-node"}))

    record = http.get("/core/nodes", params={"fields": "-publicKey"}).json()["data"][0]

    assert "publicKey" not in record
    assert record["name"] == "rules-node"


def test_include_nested_relation(http):
    image = http.get("/core/master-images").json()["data"][0]
    project = created(http.post("/core/projects", json={"name": "rules-project", "masterImageId": image["id"]}))
    created(http.post("/core/analyses", json={"projectId": project["id"]}))

    record = http.get("/core/analyses", params={"include": "project.masterImage"}).json()["data"][0]

    assert record["project"]["id"] == project["id"]
    assert record["project"]["masterImage"]["id"] == image["id"]


def test_analysis_commands_need_build_order(http):
    project = created(http.post("/core/projects", json={"name": "rules-project"}))
    analysis = created(http.post("/core/analyses", json={"projectId": project["id"]}))
    path = f"/core/analyses/{analysis['id']}/command"

    for command in ("buildStart", "distributionStart", "configurationUnlock", "buildCheck"):
        response = http.post(path, json={"command": command})
        assert response.status_code == 400, command
    unknown = http.post(path, json={"command": "launch"})
    storage_check = http.post(path, json={"command": "storageCheck"})

    assert unknown.status_code == 400
    assert unknown.json()["message"] == "Invalid command."
    assert storage_check.status_code == 202


def test_analysis_bucket_file_path_unique(http):
    project = created(http.post("/core/projects", json={"name": "rules-project"}))
    analysis = created(http.post("/core/analyses", json={"projectId": project["id"]}))
    bucket_id = "11111111-1111-4111-8111-111111111111"
    bucket = created(
        http.post("/core/analysis-buckets", json={"type": "CODE", "bucketId": bucket_id, "analysisId": analysis["id"]})
    )
    body = {
        "analysisBucketId": bucket["id"],
        "bucketId": bucket_id,
        "bucketFileId": "22222222-2222-4222-8222-222222222222",
        "path": "main.py",
    }
    created(http.post("/core/analysis-bucket-files", json=body))

    again = http.post("/core/analysis-bucket-files", json={**body, "bucketFileId": bucket_id})

    assert again.status_code == 409
    assert again.json()["code"] == "entity_conflict"


def test_permission_realm_null_is_global(http, fake_hub):
    master_id = fake_hub.state.known["master_realm_id"]

    global_permission = created(http.post("/auth/permissions", json={"name": "rules_global", "realmId": None}))
    realm_permission = created(http.post("/auth/permissions", json={"name": "rules_realm"}))

    assert global_permission["realmId"] is None
    assert realm_permission["realmId"] == master_id


def test_client_grant_types_limit_login(http, fake_hub):
    body = {"name": "rules-client", "authMethod": "secret", "secret": "rec-client-secret-123456"}
    limited = created(http.post("/auth/clients", json={**body, "grantTypes": "password"}))
    public = created(http.post("/auth/clients", json={**body, "name": "rules-public", "authMethod": "none"}))

    for client in (limited, public):
        response = httpx2.post(
            fake_hub.auth_url + "token",
            json={"grant_type": "client_credentials", "client_id": client["name"], "client_secret": body["secret"]},
        )
        assert 400 <= response.status_code < 500, client["name"]
        assert "access_token" not in response.json()


def test_master_image_delete_needs_permission(http, fake_hub):
    fake_hub.create_user("rules-user", "Rec-pass-1234", permissions=("node_create",))
    user = login(fake_hub, {"grant_type": "password", "username": "rules-user", "password": "Rec-pass-1234"})
    image = http.get("/core/master-images").json()["data"][0]
    group = http.get("/core/master-image-groups").json()["data"][0]

    image_denied = user.delete(f"/core/master-images/{image['id']}")
    group_denied = user.delete(f"/core/master-image-groups/{group['id']}")

    assert image_denied.status_code == 400
    assert image_denied.json()["issues"][0]["code"] == "permission_not_found"
    assert group_denied.status_code == 400
    assert group_denied.json()["issues"][0]["path"] == ["master_image_group_manage"]
    assert http.get(f"/core/master-images/{image['id']}").status_code == 200


def test_introspect_expired_token_inactive():
    short = FakeHub(access_token_lifetime=0.2).start()
    try:
        body = {"grant_type": "password", "username": "admin", "password": "start123"}
        token = httpx2.post(short.auth_url + "token", json=body).json()["access_token"]
        time.sleep(0.4)

        response = httpx2.post(short.auth_url + "token/introspect", data={"token": token})
    finally:
        short.stop()

    assert response.status_code == 200
    assert response.json()["active"] is False
    assert response.json()["sub"]


def test_node_update_ignores_realm(http, fake_hub):
    other = fake_hub.create_realm("rules-realm")
    node = created(http.post("/core/nodes", json={"name": "rules-node"}))

    updated = accepted(http.post(f"/core/nodes/{node['id']}", json={"realmId": other["id"], "hidden": True}))

    assert updated["realmId"] == node["realmId"]
    assert updated["hidden"] is True


def test_disallowed_sort_keeps_default(http):
    registries = [
        created(http.post("/core/registries", json={"name": name, "host": f"{name}.example"}))
        for name in ("rules-c", "rules-a", "rules-b")
    ]

    by_name = http.get("/core/registries", params={"sort": "name"}).json()["data"]
    unsorted = http.get("/core/registries").json()["data"]

    assert [record["id"] for record in by_name] == [record["id"] for record in unsorted]
    assert [record["name"] for record in by_name] == [record["name"] for record in registries]


def test_analysis_node_progress_range(http):
    project = created(http.post("/core/projects", json={"name": "rules-project"}))
    node = created(http.post("/core/nodes", json={"name": "rules-node", "type": "aggregator"}))
    created(http.post("/core/project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    analysis = created(http.post("/core/analyses", json={"projectId": project["id"]}))
    link = http.get("/core/analysis-nodes", params={"filter[analysisId]": analysis["id"]}).json()["data"][0]

    too_high = http.post(f"/core/analysis-nodes/{link['id']}", json={"executionProgress": 101})
    within = http.post(f"/core/analysis-nodes/{link['id']}", json={"executionProgress": 100})

    assert too_high.status_code == 400
    assert too_high.json()["issues"][0]["path"] == ["executionProgress"]
    assert within.status_code == 202
    assert http.get(f"/core/analyses/{analysis['id']}").json()["data"]["executionProgress"] == 100


def permission_id(http: httpx2.Client, name: str) -> str:
    return http.get("/auth/permissions", params={"filter[name]": name}).json()["data"][0]["id"]


def test_user_permission_grants_and_revokes(http, fake_hub):
    user = fake_hub.create_user("rules-user", "Rec-pass-1234")
    credentials = {"grant_type": "password", "username": "rules-user", "password": "Rec-pass-1234"}
    denied = login(fake_hub, credentials).post("/core/nodes", json={"name": "rules-node-a"})

    link = created(
        http.post(
            "/auth/user-permissions", json={"userId": user["id"], "permissionId": permission_id(http, "node_create")}
        )
    )
    allowed = login(fake_hub, credentials).post("/core/nodes", json={"name": "rules-node-b"})
    accepted(http.delete(f"/auth/user-permissions/{link['id']}"))
    revoked = login(fake_hub, credentials).post("/core/nodes", json={"name": "rules-node-c"})

    assert denied.status_code == 400
    assert denied.json()["issues"][0]["code"] == "permission_not_found"
    assert link["user"]["name"] == "rules-user"
    assert link["permission"]["name"] == "node_create"
    assert allowed.status_code == 201
    assert revoked.status_code == 400


def test_client_role_grants_access(http, fake_hub):
    client = fake_hub.create_client("rules-client", "rec-client-secret-123456")
    role = created(http.post("/auth/roles", json={"name": "rules-role"}))
    created(
        http.post(
            "/auth/role-permissions", json={"roleId": role["id"], "permissionId": permission_id(http, "project_create")}
        )
    )

    link = created(http.post("/auth/client-roles", json={"clientId": client["id"], "roleId": role["id"]}))
    body = {
        "grant_type": "client_credentials",
        "client_id": "rules-client",
        "client_secret": "rec-client-secret-123456",
    }
    project = login(fake_hub, body).post("/core/projects", json={"name": "rules-project"})

    assert link["client"]["name"] == "rules-client"
    assert link["role"]["name"] == "rules-role"
    assert project.status_code == 201
    assert project.json()["data"]["clientId"] == client["id"]
    assert project.json()["data"]["userId"] is None


@pytest.fixture
def three_nodes(http: httpx2.Client) -> list[dict]:
    """Nodes rules-alpha (hidden), rules-beta and rules-gamma; only rules-beta has a public key."""
    return [
        created(http.post("/core/nodes", json={"name": "rules-alpha", "hidden": True})),
        created(http.post("/core/nodes", json={"name": "rules-beta", "publicKey": "abcdef"})),
        created(http.post("/core/nodes", json={"name": "rules-gamma"})),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("filter[name]=%3Crules-beta", ["rules-alpha"]),
        ("filter[name]=%3E%3Drules-beta", ["rules-beta", "rules-gamma"]),
        ("filter[name]=!%3Erules-beta", ["rules-gamma"]),
        ("filter[name]=!~ET~", ["rules-alpha", "rules-gamma"]),
        ("filter[name]=!rules-g~", ["rules-alpha", "rules-beta"]),
        ("filter[hidden]=!true", ["rules-beta", "rules-gamma"]),
        ("filter[name]=", ["rules-alpha", "rules-beta", "rules-gamma"]),
        ("filter[name]=~~", ["rules-alpha", "rules-beta", "rules-gamma"]),
        ("filter=lt(name,'rules-beta')", ["rules-alpha"]),
        ("filter=gte(name,'rules-beta')", ["rules-beta", "rules-gamma"]),
        ("filter=nin(name,'rules-alpha','rules-beta')", ["rules-gamma"]),
        ("filter=startsWith(name,'RULES-G')", ["rules-gamma"]),
        ("filter=endsWith(name,'ta')", ["rules-beta"]),
        ("filter=not(contains(name,'a'))", []),
        ("filter=and(eq(hidden,false),not(eq(name,'rules-beta')))", ["rules-gamma"]),
    ],
)
def test_list_filter_operators(http, three_nodes, query, expected):
    response = http.get("/core/nodes?" + query)

    assert response.status_code == 200, response.text
    assert sorted(record["name"] for record in response.json()["data"]) == expected


def test_list_filter_null(http, three_nodes):
    master_images = http.get("/core/master-images").json()["data"]

    without_robot = http.get("/core/nodes", params={"filter[robotId]": "null"}).json()["data"]
    with_robot = http.get("/core/nodes", params={"filter[robotId]": "!null"}).json()["data"]
    without_path = http.get("/core/master-images", params={"filter[path]": "null"}).json()["data"]
    with_path = http.get("/core/master-images", params={"filter[path]": "!null"}).json()["data"]

    assert len(without_robot) == 3
    assert with_robot == []
    assert without_path == []
    assert len(with_path) == len(master_images)


def test_sort_relation_needs_include(http):
    older = created(http.post("/core/registries", json={"name": "rules-older", "host": "older.example"}))
    newer = created(http.post("/core/registries", json={"name": "rules-newer", "host": "newer.example"}))
    created(http.post("/core/nodes", json={"name": "rules-on-older", "registryId": older["id"]}))
    created(http.post("/core/nodes", json={"name": "rules-on-newer", "registryId": newer["id"]}))

    def names(query: str) -> list[str]:
        return [record["name"] for record in http.get("/core/nodes?" + query).json()["data"]]

    assert names("include=registry&sort=-registry.createdAt") == ["rules-on-newer", "rules-on-older"]
    assert names("include=registry&sort=registry.createdAt") == ["rules-on-older", "rules-on-newer"]
    assert names("sort=-registry.createdAt") == ["rules-on-older", "rules-on-newer"]


def test_auth_sort_needs_index_prefix(http):
    for name in ("rules-b", "rules-a", "rules-c"):
        created(http.post("/auth/realms", json={"name": name}))

    def names(query: str) -> list[str]:
        return [record["name"] for record in http.get("/auth/realms?" + query).json()["data"]]

    assert names("sort=-name") == ["rules-c", "rules-b", "rules-a", "master"]
    # No index of the realm table starts with createdAt, so this sort is dropped.
    assert names("sort=createdAt,-name") == ["master", "rules-b", "rules-a", "rules-c"]


def test_expired_token_on_each_service():
    with FakeHub(access_token_lifetime=0.2) as short:
        body = {"grant_type": "password", "username": "admin", "password": "start123"}
        headers = {"Authorization": f"Bearer {httpx2.post(short.auth_url + 'token', json=body).json()['access_token']}"}
        time.sleep(0.3)

        core = httpx2.get(short.core_url + "nodes", headers=headers)
        storage = httpx2.get(short.storage_url + "buckets", headers=headers)
        auth = httpx2.get(short.auth_url + "users", headers=headers)

    # The Hub's services pass the token verifier's error through as a 500, while Authup returns 401.
    assert (core.status_code, core.json()["code"]) == (500, "internal_error")
    assert (storage.status_code, storage.json()["code"]) == (500, "internal_error")
    assert (auth.status_code, auth.json()["code"]) == (401, "expired_token")
    assert "statusCode" not in auth.json()


def test_revoked_token_fails_on_core(fake_hub):
    body = {"grant_type": "password", "username": "admin", "password": "start123"}
    token = httpx2.post(fake_hub.auth_url + "token", json=body).json()["access_token"]

    revoked = httpx2.post(fake_hub.auth_url + "token/revoke", data={"token": token})
    response = httpx2.get(fake_hub.core_url + "nodes", headers={"Authorization": f"Bearer {token}"})

    assert revoked.status_code == 200
    assert response.status_code == 500
    assert response.json()["message"] == "The JWT is not active."


def test_relation_record_read_ignores_include(http, fake_hub):
    user = fake_hub.create_user("rules-user", "Rec-pass-1234")
    body = {"userId": user["id"], "permissionId": permission_id(http, "node_create")}
    link = created(http.post("/auth/user-permissions", json=body))

    record = http.get(f"/auth/user-permissions/{link['id']}", params={"include": "user,permission"})
    listed = http.get("/auth/user-permissions", params={"filter[id]": link["id"], "include": "user"})

    assert record.status_code == 200
    assert "user" not in record.json()["data"]
    assert "permission" not in record.json()["data"]
    assert listed.json()["data"][0]["user"]["id"] == user["id"]


@pytest.mark.parametrize("route", ["roles", "permissions"])
def test_auth_put_upserts(http, route):
    record_id = "00000000-0000-4000-8000-00000000abcd"

    inserted = http.put(f"/auth/{route}/{record_id}", json={"name": "rules_upserted"})
    updated = http.put(f"/auth/{route}/{record_id}", json={"name": "rules_renamed"})

    assert inserted.status_code == 201
    assert inserted.json()["data"]["id"] == record_id
    assert updated.status_code == 202
    assert http.get(f"/auth/{route}/{record_id}").json()["data"]["name"] == "rules_renamed"


@pytest.mark.parametrize("route", ["clients", "roles", "permissions", "users"])
def test_realm_scoped_lists(http, fake_hub, route):
    other = fake_hub.create_realm("rules-realm")
    body = {"name": "rules-in-other", "realmId": other["id"]}
    if route == "users":
        body["email"] = "rules@example.org"
    record = created(http.post(f"/auth/{route}", json=body))

    in_other = http.get(f"/auth/realms/{other['id']}/{route}").json()
    in_master = http.get(f"/auth/realms/{fake_hub.state.known['master_realm_id']}/{route}").json()
    one = http.get(f"/auth/realms/{other['id']}/{route}/{record['id']}")
    elsewhere = http.get(f"/auth/realms/{fake_hub.state.known['master_realm_id']}/{route}/{record['id']}")

    assert [item["id"] for item in in_other["data"]] == [record["id"]]
    assert record["id"] not in [item["id"] for item in in_master["data"]]
    assert one.status_code == 200
    assert elsewhere.status_code == 404


def test_realm_jwks_and_get_introspect(fake_hub):
    token = fake_hub.issue_admin_token()

    keys = httpx2.get(f"{fake_hub.auth_url}realms/{fake_hub.state.known['master_realm_id']}/jwks")
    introspected = httpx2.get(fake_hub.auth_url + "token/introspect", params={"token": token})

    assert keys.status_code == 200
    assert isinstance(keys.json()["keys"], list)
    assert introspected.status_code == 200
    assert introspected.json()["active"] is True


def test_master_image_and_group_delete(http):
    group = http.get("/core/master-image-groups").json()["data"][0]
    image = http.get("/core/master-images").json()["data"][0]

    read_group = http.get(f"/core/master-image-groups/{group['id']}")
    deleted_image = http.delete(f"/core/master-images/{image['id']}")
    deleted_group = http.delete(f"/core/master-image-groups/{group['id']}")

    assert read_group.status_code == 200
    assert read_group.json()["data"]["name"] == group["name"]
    assert deleted_image.status_code == 202
    assert deleted_image.json()["data"]["id"] == image["id"]
    assert http.get(f"/core/master-images/{image['id']}").status_code == 404
    assert deleted_group.status_code == 202
    assert http.get(f"/core/master-image-groups/{group['id']}").status_code == 404


def test_analysis_node_event_record_read(http, fake_hub):
    # The Hub writes these events from its message broker, so the test stores one directly.
    project = created(http.post("/core/projects", json={"name": "rules-project"}))
    node = created(http.post("/core/nodes", json={"name": "rules-node", "type": "aggregator"}))
    created(http.post("/core/project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    analysis = created(http.post("/core/analyses", json={"projectId": project["id"]}))
    event = {
        "id": "00000000-0000-4000-8000-0000000000e1",
        "eventId": "00000000-0000-4000-8000-0000000000e2",
        "analysisId": analysis["id"],
        "analysisRealmId": analysis["realmId"],
        "nodeId": node["id"],
        "nodeRealmId": node["realmId"],
        "createdAt": analysis["createdAt"],
        "updatedAt": analysis["createdAt"],
    }
    fake_hub.run_in_loop(lambda: fake_hub.state.table("core.analysis_node_events").update({event["id"]: event}))

    response = http.get(f"/core/analysis-node-events/{event['id']}", params={"include": "analysis,node"})
    listed = http.get("/core/analysis-node-events", params={"filter[nodeId]": node["id"]}).json()

    assert response.status_code == 200
    assert response.json()["data"]["analysis"]["id"] == analysis["id"]
    assert response.json()["data"]["node"]["id"] == node["id"]
    assert response.json()["meta"]["schema"]["name"] == "analysisNodeEvent"
    assert listed["meta"]["total"] == 1
