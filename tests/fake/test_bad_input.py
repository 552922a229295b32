"""Random bodies and queries against every create, update and list route of the fake Hub, over HTTP.

The fake Hub must reject bad input with a 4xx (a 500 only where the real Hub returns one) and keep
its stored state unchanged whenever it rejects a request.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flame_hub.testing import FakeHub

# Messages of the 500s the real Hub returns for some bad input. Each was recorded, or is the same
# database error on a sibling route, and the fake Hub raises it on purpose. Any other 500 is a crash.
HUB_500_MESSAGES = (
    "violates not-null constraint",  # update with null for a non-nullable column, e.g. a node's name
    "violates foreign key constraint",  # node create with an unknown realmId
    "unique attributes already exists",  # node update with clientId null provisions a second client
    "Property secret is invalid",  # node client credentials with a too short secret
    "already has this permission",  # adding an analysis client permission twice
    "No caller could call component.",  # the registry service's cleanup command
    "invalid input syntax for type uuid",  # a non-UUID where the database expects an id
)

FIELD_NAMES = [
    "name", "displayName", "description", "type", "hidden", "externalName", "publicKey", "registryId",
    "realmId", "clientId", "host", "accountName", "accountSecret", "public", "masterImageId", "projectId",
    "nodeId", "approvalStatus", "comment", "analysisId", "imageCommandArguments", "executionStatus",
    "executionProgress", "bucketId", "analysisBucketId", "bucketFileId", "path", "root", "level", "message",
    "status", "code", "labels", "command", "id", "secret", "permissionId", "region", "email", "password",
    "active", "firstName", "lastName", "roleId", "userId", "authMethod", "grantTypes", "realmScope",
    "policyId", "builtIn", "redirectUri", "nameLocked", "decisionStrategy", "x-unknown",
]  # fmt: skip

WORDS = [
    "approved", "rejected", "default", "aggregator", "CODE", "RESULT", "TEMP", "node", "masterImages", "info",
    "error", "configurationLock", "configurationUnlock", "buildStart", "buildCheck", "distributionStart",
    "storageCheck", "sync", "build", "setup", "cleanup", "delete", "projectLink", "projectUnlink", "secret",
    "none", "own", "any", "executed", "failed", "started", "master", "system", "admin", "",
    "x", "ab", "abc", "Mixed Case Name", "rec-name", "rec_name-1", "a" * 130, "a" * 600,
    "00000000-0000-4000-8000-000000000000", "not-a-uuid", "__proto__",
]  # fmt: skip

SCALARS = st.none() | st.booleans() | st.integers(min_value=-5, max_value=200) | st.sampled_from(WORDS)
JSON_VALUES = st.recursive(
    SCALARS | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(FIELD_NAMES), children, max_size=3)
    ),
    max_leaves=6,
)

QUERY_KEYS = [
    "filter[name]", "filter[id]", "filter[realmId]", "filter[registry.name]", "filter", "sort", "include",
    "fields", "fields[registry]", "page[limit]", "page[offset]", "page", "filter[__proto__]", "x",
]  # fmt: skip
QUERY_VALUES = st.sampled_from(
    ["", "!", "~", "~~", "null", "!null", "a,b", "<3", ">=x", "-name", "name,-createdAt", "+accountSecret",
     "registry", "project.masterImage", "51", "-1", "abc", "eq(name,'x')", "and(eq(name,", "size(name)",
     "eq(__proto__,'x')", "constructor"]
) | st.text(max_size=10)  # fmt: skip
QUERIES = st.lists(st.tuples(st.sampled_from(QUERY_KEYS), QUERY_VALUES), max_size=4)

NODE = {"name": "fuzz-node-c", "type": "default", "hidden": False, "externalName": "ext-c", "publicKey": "abcdef",
        "registryId": "{registry}"}  # fmt: skip
REGISTRY = {"name": "fuzz-registry-b", "host": "fuzz-b.example", "accountName": "account",
            "accountSecret": "rec-account-secret-1"}  # fmt: skip
REGISTRY_PROJECT = {"name": "fuzz-project-b", "type": "default", "registryId": "{registry}", "externalName": "fuzz-b"}
PROJECT = {"name": "fuzz-project-b", "displayName": "Fuzz project", "description": "A project for fuzzing.",
           "masterImageId": "{master_image}"}  # fmt: skip
ANALYSIS = {"projectId": "{project}", "name": "fuzz-analysis", "displayName": "Fuzz analysis",
            "description": "An analysis for fuzzing.", "masterImageId": "{master_image}", "registryId": "{registry}",
            "imageCommandArguments": [{"value": "--verbose", "position": "after"}]}  # fmt: skip
ANALYSIS_NODE = {"analysisId": "{analysis}", "nodeId": "{node}", "approvalStatus": "approved", "comment": "fine",
                 "executionStatus": "started", "executionProgress": 10}  # fmt: skip
BUCKET_FILE = {"analysisBucketId": "{analysis_bucket}", "bucketId": "11111111-1111-4111-8111-111111111111",
               "bucketFileId": "33333333-3333-4333-8333-333333333333", "path": "other.py", "root": True}  # fmt: skip
NODE_LOG = {"analysisId": "{analysis}", "nodeId": "{node}", "level": "info", "message": "started the run",
            "status": "running", "code": "abc", "labels": {"step": "one"}}  # fmt: skip
USER = {"name": "fuzz-user-b", "email": "fuzz-b@example.org", "password": "Rec-pass-1234", "displayName": "Fuzz",
        "firstName": "Fuzz", "lastName": "User", "active": True, "realmId": "{realm}"}  # fmt: skip
CLIENT = {"name": "fuzz-client-b", "authMethod": "secret", "secret": "rec-client-secret-123456", "active": True,
          "displayName": "Fuzz client", "grantTypes": "client_credentials", "realmId": "{realm}"}  # fmt: skip
DESCRIBED = {"displayName": "Fuzz thing", "description": "A thing for fuzzing."}

# (method, path, a valid body); paths and bodies name the records of `targets` as {placeholders}.
WRITE_ROUTES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/core/nodes", NODE),
    ("POST", "/core/nodes/{node}", NODE),
    ("POST", "/core/nodes/{node}/client/credentials", {"secret": "rec-client-secret-123456"}),
    ("POST", "/core/registries", REGISTRY),
    ("POST", "/core/registries/{registry}", REGISTRY),
    ("POST", "/core/registry-projects", REGISTRY_PROJECT),
    ("POST", "/core/registry-projects/{registry_project}", REGISTRY_PROJECT),
    ("POST", "/core/projects", PROJECT),
    ("POST", "/core/projects/{project}", PROJECT),
    ("POST", "/core/project-nodes", {"projectId": "{project}", "nodeId": "{spare_node}"}),
    ("POST", "/core/project-nodes/{project_node}", {"approvalStatus": "approved", "comment": "looks fine"}),
    ("POST", "/core/analyses", ANALYSIS),
    ("POST", "/core/analyses/{analysis}", ANALYSIS),
    ("POST", "/core/analyses/{analysis}/command", {"command": "configurationLock"}),
    ("POST", "/core/analyses/{analysis}/client/credentials", {"secret": "rec-client-secret-123456"}),
    ("POST", "/core/analyses/{analysis}/client/permissions", {"permissionId": "{storage_permission}"}),
    ("POST", "/core/analysis-nodes", ANALYSIS_NODE),
    ("POST", "/core/analysis-nodes/{analysis_node}", ANALYSIS_NODE),
    ("POST", "/core/analysis-buckets", {"type": "RESULT", "bucketId": "{bucket}", "analysisId": "{analysis}"}),
    ("POST", "/core/analysis-buckets/{analysis_bucket}", {"type": "TEMP"}),
    ("POST", "/core/analysis-bucket-files", BUCKET_FILE),
    ("POST", "/core/analysis-bucket-files/{analysis_bucket_file}", BUCKET_FILE),
    ("POST", "/core/analysis-node-logs", NODE_LOG),
    ("POST", "/core/master-images/command", {"command": "build", "id": "{master_image}"}),
    ("POST", "/core/services/registry/command", {"command": "setup", "id": "{registry}"}),
    ("POST", "/storage/buckets", {"name": "fuzz-bucket-b", "region": "eu-west", "realmId": "{master_realm}"}),
    ("POST", "/storage/buckets/{bucket}", {"name": "fuzz-bucket-c"}),
    ("POST", "/auth/realms", {"name": "fuzz-realm-b", **DESCRIBED}),
    ("POST", "/auth/realms/{realm}", {"name": "fuzz-realm-c", **DESCRIBED}),
    ("PUT", "/auth/realms/{realm}", {"name": "fuzz-realm-d", **DESCRIBED}),
    ("POST", "/auth/users", USER),
    ("POST", "/auth/users/{user}", USER),
    ("PUT", "/auth/users/{user}", USER),
    ("POST", "/auth/roles", {"name": "fuzz-role-b", "realmId": "{realm}", **DESCRIBED}),
    ("POST", "/auth/roles/{role}", {"name": "fuzz-role-c", **DESCRIBED}),
    ("POST", "/auth/permissions", {"name": "fuzz_permission_b", "realmId": None, **DESCRIBED}),
    ("POST", "/auth/permissions/{permission}", {"name": "fuzz_permission_c", **DESCRIBED}),
    ("POST", "/auth/clients", CLIENT),
    ("POST", "/auth/clients/{client}", CLIENT),
    ("PUT", "/auth/clients/{client}", CLIENT),
    ("POST", "/auth/role-permissions", {"roleId": "{role}", "permissionId": "{permission}", "realmScope": "own"}),
    ("POST", "/auth/user-permissions", {"userId": "{user}", "permissionId": "{permission}"}),
    ("POST", "/auth/client-permissions", {"clientId": "{client}", "permissionId": "{permission}"}),
    ("POST", "/auth/user-roles", {"userId": "{user}", "roleId": "{role}"}),
    ("POST", "/auth/client-roles", {"clientId": "{client}", "roleId": "{role}"}),
]

LIST_ROUTES = [
    "/core/nodes", "/core/registries", "/core/registry-projects", "/core/projects", "/core/project-nodes",
    "/core/analyses", "/core/analysis-nodes", "/core/analysis-buckets", "/core/analysis-bucket-files",
    "/core/analysis-node-events", "/core/master-images", "/core/master-image-groups", "/storage/buckets",
    "/storage/bucket-files", "/auth/realms", "/auth/users", "/auth/roles", "/auth/permissions", "/auth/clients",
    "/auth/role-permissions", "/auth/user-permissions", "/auth/user-roles", "/auth/client-permissions",
    "/auth/client-roles",
]  # fmt: skip

RECORD_ROUTES = [
    "/core/nodes/{node}", "/core/registries/{registry}", "/core/registry-projects/{registry_project}",
    "/core/projects/{project}", "/core/project-nodes/{project_node}", "/core/analyses/{analysis}",
    "/core/analysis-nodes/{analysis_node}", "/core/analysis-buckets/{analysis_bucket}",
    "/core/analysis-bucket-files/{analysis_bucket_file}", "/core/master-images/{master_image}",
    "/storage/buckets/{bucket}", "/auth/realms/{realm}", "/auth/users/{user}", "/auth/roles/{role}",
    "/auth/permissions/{permission}", "/auth/clients/{client}",
]  # fmt: skip

# FAKE_HUB_FUZZ_EXAMPLES raises the number of examples per route for a longer search.
FUZZ_SETTINGS = settings(
    max_examples=int(os.environ.get("FAKE_HUB_FUZZ_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,
)


@pytest.fixture
def http(fake_hub: FakeHub) -> Iterator[httpx2.Client]:
    """An HTTP client for the whole fake Hub, logged in as the seeded admin."""
    token = fake_hub.issue_admin_token()
    with httpx2.Client(base_url=fake_hub.url, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def created(response: httpx2.Response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()["data"]


@pytest.fixture
def targets(http: httpx2.Client) -> dict[str, str]:
    """Create one record of each updatable kind and return their ids by placeholder name."""
    registry = created(http.post("/core/registries", json={"name": "fuzz-registry", "host": "fuzz.example"}))
    node = created(http.post("/core/nodes", json={"name": "fuzz-node", "type": "aggregator"}))
    project = created(http.post("/core/projects", json={"name": "fuzz-project"}))
    project_node = created(http.post("/core/project-nodes", json={"projectId": project["id"], "nodeId": node["id"]}))
    analysis = created(http.post("/core/analyses", json={"projectId": project["id"]}))
    analysis_nodes = http.get("/core/analysis-nodes", params={"filter[analysisId]": analysis["id"]}).json()["data"]
    analysis_bucket = created(
        http.post(
            "/core/analysis-buckets",
            json={"type": "CODE", "bucketId": "11111111-1111-4111-8111-111111111111", "analysisId": analysis["id"]},
        )
    )
    analysis_bucket_file = created(
        http.post(
            "/core/analysis-bucket-files",
            json={
                "analysisBucketId": analysis_bucket["id"],
                "bucketId": analysis_bucket["bucketId"],
                "bucketFileId": "22222222-2222-4222-8222-222222222222",
                "path": "main.py",
            },
        )
    )
    registry_project = created(
        http.post(
            "/core/registry-projects",
            json={"name": "fuzz-project", "type": "default", "registryId": registry["id"], "externalName": "fuzz"},
        )
    )
    bucket = created(http.post("/storage/buckets", json={"name": "fuzz-bucket"}))
    realm = created(http.post("/auth/realms", json={"name": "fuzz-realm"}))
    user = created(http.post("/auth/users", json={"name": "fuzz-user", "email": "fuzz@example.org"}))
    role = created(http.post("/auth/roles", json={"name": "fuzz-role"}))
    permission = created(http.post("/auth/permissions", json={"name": "fuzz_permission"}))
    client = created(http.post("/auth/clients", json={"name": "fuzz-client"}))
    spare_node = created(http.post("/core/nodes", json={"name": "fuzz-spare-node"}))
    master_image = http.get("/core/master-images").json()["data"][0]
    storage_permission = http.get("/auth/permissions", params={"filter[name]": "analysis_self_storage_use"})

    assert len(analysis_nodes) == 1
    return {
        "registry": registry["id"],
        "node": node["id"],
        "project": project["id"],
        "project_node": project_node["id"],
        "analysis": analysis["id"],
        "analysis_node": analysis_nodes[0]["id"],
        "analysis_bucket": analysis_bucket["id"],
        "analysis_bucket_file": analysis_bucket_file["id"],
        "registry_project": registry_project["id"],
        "bucket": bucket["id"],
        "realm": realm["id"],
        "user": user["id"],
        "role": role["id"],
        "permission": permission["id"],
        "client": client["id"],
        "spare_node": spare_node["id"],
        "master_image": master_image["id"],
        "storage_permission": storage_permission.json()["data"][0]["id"],
        "master_realm": realm_of_admin(http),
    }


def realm_of_admin(http: httpx2.Client) -> str:
    return http.get("/auth/realms", params={"filter[name]": "master"}).json()["data"][0]["id"]


def fill(template: Any, ids: dict[str, str]) -> Any:
    """Return ``template`` with every string that is exactly a {placeholder} replaced by its id."""
    if isinstance(template, dict):
        return {key: fill(value, ids) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, ids) for value in template]
    if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
        return ids[template[1:-1]]
    return template


def snapshot(fake_hub: FakeHub) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Return a deep copy of every non-empty table and every stored file of the fake Hub."""
    # Tables come into being empty on first use, even by a read, so an empty table is no change.
    state = fake_hub.state
    return fake_hub.run_in_loop(
        lambda: (copy.deepcopy({name: rows for name, rows in state.tables.items() if rows}), dict(state.file_contents))
    )


def body_strategy(valid: dict[str, Any], ids: list[str]) -> st.SearchStrategy[Any]:
    """Return the valid body, bodies with keys of it dropped or changed, and random JSON."""
    values = JSON_VALUES | st.sampled_from(ids)
    keys = st.sampled_from(list(valid)) | st.sampled_from(FIELD_NAMES) if valid else st.sampled_from(FIELD_NAMES)
    mutated = st.builds(
        lambda dropped, changes: {**{k: v for k, v in valid.items() if k not in dropped}, **changes},
        st.sets(st.sampled_from(list(valid))) if valid else st.just(set()),
        st.dictionaries(keys, values, max_size=3),
    )
    return st.just(valid) | mutated | JSON_VALUES


def error_message(response: httpx2.Response) -> str:
    try:
        return str(response.json().get("message", ""))
    except ValueError:
        return response.text


def check_answer(response: httpx2.Response, before: object, after: object) -> None:
    status = response.status_code
    described = f"{response.request.method} {response.request.url} {response.request.content!r} -> {status}"

    if status >= 500:
        message = error_message(response)
        assert status == 500, described
        assert any(known in message for known in HUB_500_MESSAGES), f"{described}: {message}"
    else:
        assert 200 <= status < 300 or 400 <= status < 500, described
    if status >= 400:
        assert after == before, f"{described} changed the stored state"


@pytest.mark.parametrize(("method", "route", "valid"), WRITE_ROUTES, ids=[f"{m} {r}" for m, r, _ in WRITE_ROUTES])
@FUZZ_SETTINGS
@given(data=st.data())
def test_write_route_random_body(fake_hub, http, targets, method, route, valid, data):
    body = data.draw(body_strategy(fill(valid, targets), list(targets.values())), label="body")
    query = data.draw(QUERIES, label="query")

    before = snapshot(fake_hub)
    response = http.request(method, route.format(**targets), json=body, params=query)
    after = snapshot(fake_hub)

    check_answer(response, before, after)


def all_permission_names(http: httpx2.Client) -> tuple[str, ...]:
    names: list[str] = []
    while page := http.get("/auth/permissions", params={"page[offset]": str(len(names))}).json()["data"]:
        names.extend(record["name"] for record in page)
    return tuple(names)


@pytest.fixture(params=["realm-user", "realm-client", "node-client"])
def outsider(request, fake_hub, http, targets) -> Iterator[httpx2.Client]:
    """An HTTP client logged in as an identity of another realm, or as the node's own client."""
    if request.param == "node-client":
        credentials = http.get(f"/core/nodes/{targets['node']}/client/credentials").json()
        body = {
            "grant_type": "client_credentials",
            "client_id": credentials["id"],
            "client_secret": credentials["secret"],
        }
    else:
        fake_hub.create_realm("fuzz-other")
        permissions = all_permission_names(http)
        fake_hub.create_user("outsider", "Rec-pass-1234", realm="fuzz-other", permissions=permissions)
        fake_hub.create_client("outsider", "rec-client-secret-123456", realm="fuzz-other", permissions=permissions)
        body = {
            "grant_type": "password",
            "username": "outsider",
            "password": "Rec-pass-1234",
            "realm_name": "fuzz-other",
        }
        if request.param == "realm-client":
            body = {
                "grant_type": "client_credentials",
                "client_id": "outsider",
                "client_secret": "rec-client-secret-123456",
            }

    token = httpx2.post(fake_hub.auth_url + "token", json=body).json()["access_token"]
    with httpx2.Client(base_url=fake_hub.url, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


@pytest.mark.parametrize(("method", "route", "valid"), WRITE_ROUTES, ids=[f"{m} {r}" for m, r, _ in WRITE_ROUTES])
@settings(FUZZ_SETTINGS, max_examples=max(1, FUZZ_SETTINGS.max_examples // 3))
@given(data=st.data())
def test_write_route_other_caller(fake_hub, outsider, targets, method, route, valid, data):
    """Send random bodies as a caller of another realm that holds every permission, or as a node's client."""
    body = data.draw(body_strategy(fill(valid, targets), list(targets.values())), label="body")

    before = snapshot(fake_hub)
    response = outsider.request(method, route.format(**targets), json=body)
    after = snapshot(fake_hub)

    check_answer(response, before, after)


@pytest.mark.parametrize("route", RECORD_ROUTES)
@FUZZ_SETTINGS
@given(query=QUERIES)
def test_record_route_random_query(fake_hub, http, targets, route, query):
    response = http.get(route.format(**targets), params=query)

    assert response.status_code in (200, 400), f"{route} {query} -> {response.status_code}: {response.text}"


@pytest.mark.parametrize("route", LIST_ROUTES)
@FUZZ_SETTINGS
@given(query=QUERIES)
def test_list_route_random_query(fake_hub, http, route, query):
    before = snapshot(fake_hub)
    response = http.get(route, params=query)
    after = snapshot(fake_hub)

    assert response.status_code in (200, 400), f"{route} {query} -> {response.status_code}: {response.text}"
    assert after == before


MALFORMED_JSON = [b"{", b"[1,", b"\xff\xfe"]
NON_OBJECT_JSON = [b"null", b'"text"', b"123", b"[]"]
RAW_BODY_ROUTES = [("POST", "/core/nodes/{node}"), ("POST", "/storage/buckets"), ("POST", "/auth/users/{user}")]


@pytest.mark.parametrize("raw", MALFORMED_JSON + NON_OBJECT_JSON)
@pytest.mark.parametrize(("method", "route"), RAW_BODY_ROUTES)
def test_raw_body_keeps_state(fake_hub, http, targets, method, route, raw):
    before = snapshot(fake_hub)
    response = http.request(method, route.format(**targets), content=raw, headers={"content-type": "application/json"})
    after = snapshot(fake_hub)

    # The Hub fails with a 500 on a body that does not parse as JSON, and never on a parsed one.
    if raw in MALFORMED_JSON:
        assert response.status_code == 500
    else:
        assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert after == before
