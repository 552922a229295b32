"""The functional clients (AuthClient, CoreClient, StorageClient): construction, queries and CRUD over HTTP."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator

import httpx2
import pytest

import flame_hub
from flame_hub import AuthClient, CoreClient, StorageClient
from flame_hub.models import Node, Realm, User
from flame_hub.models._base import IgnoredFieldWarning
from flame_hub.types import FilterOperator


@pytest.fixture
def auth(fake_hub) -> flame_hub.auth.PasswordAuth:
    return flame_hub.auth.PasswordAuth(username="admin", password="start123", base_url=fake_hub.auth_url)


@pytest.fixture
def auth_client(fake_hub, auth) -> Iterator[AuthClient]:
    with AuthClient(base_url=fake_hub.auth_url, auth=auth) as client:
        yield client


@pytest.fixture
def core_client(fake_hub, auth) -> Iterator[CoreClient]:
    with CoreClient(base_url=fake_hub.core_url, auth=auth) as client:
        yield client


@pytest.fixture
def master_realm(auth_client) -> Realm:
    return auth_client.find_realms(filter={"name": "master"})[0]


def last_query(hub, path: str, method: str = "GET") -> list[tuple[str, str]]:
    return hub.requests_to(path, method)[-1].query_params


# --- generated methods ---------------------------------------------------------------------------


def test_methods_generated_per_operation():
    for model in flame_hub.models.RESOURCES:
        meta = model._meta
        client_class = {"auth": AuthClient, "core": CoreClient, "storage": StorageClient}[meta.service]
        if meta.supports("list"):
            assert hasattr(client_class, f"find_{meta.plural}"), meta.plural
            assert hasattr(client_class, f"get_{meta.plural}"), meta.plural
        if meta.supports("create"):
            assert hasattr(client_class, f"create_{meta.singular}"), meta.singular
        if meta.supports("update"):
            assert hasattr(client_class, f"update_{meta.singular}"), meta.singular
        if not meta.required_filters and meta.supports("get"):
            assert hasattr(client_class, f"get_{meta.singular}"), meta.singular


def test_unsupported_operations_absent():
    assert not hasattr(StorageClient, "update_bucket")
    assert not hasattr(StorageClient, "create_bucket_file")
    assert not hasattr(AuthClient, "update_user_role")
    assert not hasattr(CoreClient, "create_master_image")
    assert not hasattr(CoreClient, "delete_analysis_log")


def test_create_signature_keeps_official_order():
    parameters = list(inspect.signature(CoreClient.create_node).parameters)
    assert parameters[:7] == ["self", "name", "realm_id", "registry_id", "external_name", "node_type", "hidden"]

    parameters = list(inspect.signature(CoreClient.create_analysis_bucket).parameters)
    assert parameters[1:4] == ["bucket_type", "bucket_id", "analysis_id"]


def test_update_signature_keeps_official_order():
    parameters = list(inspect.signature(CoreClient.update_node).parameters)
    assert parameters[:8] == [
        "self",
        "node_id",
        "external_name",
        "hidden",
        "node_type",
        "realm_id",
        "registry_id",
        "public_key",
    ]


# The public names of flame-hub-client 1.1 that scripts import.
OFFICIAL_TOP_LEVEL = (
    "auth",
    "types",
    "models",
    "AuthClient",
    "CoreClient",
    "StorageClient",
    "HubAPIError",
    "get_field_names",
    "get_includable_names",
    "__version__",
    "__version_info__",
)
OFFICIAL_TYPES = (
    "PageParams",
    "SortParams",
    "FilterOperator",
    "FilterParams",
    "FindAllKwargs",
    "GetKwargs",
    "NodeType",
    "RegistryCommand",
    "IncludeParams",
    "FieldParams",
    "RegistryProjectType",
    "MasterImageCommandArgument",
    "ProjectNodeApprovalStatus",
    "AnalysisCommand",
    "AnalysisNodeApprovalStatus",
    "AnalysisBucketType",
    "LogLevel",
    "UploadFile",
    "UuidIdentifiable",
    "ResourceT",
    "UNSET_T",
    "ProcessStatus",
    "LogChannel",
    "ReadableBinary",
    "SingleResourceResult",
    "ResourceListResult",
    "AuthParam",
    "BaseKwargs",
)


@pytest.mark.parametrize("name", OFFICIAL_TOP_LEVEL)
def test_official_top_level_name(name):
    assert hasattr(flame_hub, name)


@pytest.mark.parametrize("name", OFFICIAL_TYPES)
def test_official_types_name(name):
    assert hasattr(flame_hub.types, name)


@pytest.mark.parametrize("name", ["PasswordAuth", "ClientAuth", "StaticAuth"])
def test_official_auth_name(name):
    assert hasattr(flame_hub.auth, name)


def test_error_response_fields(fake_hub, core_client):
    issue = {"type": "item", "code": "invalid", "path": ["name"], "message": "name is taken"}
    body = {"statusCode": 400, "code": "bad_request", "message": "Invalid input.", "issues": [issue]}
    fake_hub.add_fault("POST", "/core/nodes", status=400, body=body)

    with pytest.raises(flame_hub.HubAPIError) as caught:
        core_client.create_node("error-node")

    error = caught.value.error_response
    assert error.status_code == 400
    assert error.code == "bad_request"
    assert error.message == "Invalid input."
    assert error.issues == [issue]


def test_compat_helpers():
    assert flame_hub.get_field_names(User) == ("email",)
    assert flame_hub.get_includable_names(Node) == ("registry", "registry_project")
    assert FilterOperator.like.value == "~"
    assert FilterOperator.neq.value == "!"


# --- construction ----------------------------------------------------------------------------------


def test_token_string_becomes_static_auth(fake_hub):
    token = fake_hub.issue_admin_token()
    with AuthClient(base_url=fake_hub.auth_url, auth=token) as client:
        realms = client.get_realms()

    assert [realm.name for realm in realms] == ["master"]
    sent = fake_hub.requests_to("/auth/realms", "GET")[-1]
    assert sent.headers["authorization"] == f"Bearer {token}"
    assert fake_hub.requests_to("/auth/token") == []


def test_auth_client_logs_in_at_its_url(fake_hub):
    with AuthClient(base_url=fake_hub.auth_url, auth=flame_hub.auth.PasswordAuth("admin", "start123")) as client:
        users = client.find_users(filter={"name": "admin"})

    assert [user.name for user in users] == ["admin"]
    assert fake_hub.requests_to("/auth/token", "POST")[-1].status == 200


def test_core_client_needs_auth_url(fake_hub):
    with pytest.raises(flame_hub.ConfigurationError, match="base_url="):
        CoreClient(base_url=fake_hub.core_url, auth=flame_hub.auth.PasswordAuth("admin", "start123"))


def test_existing_httpx_client_used(fake_hub, auth):
    seen: list[str] = []
    http = httpx2.Client(event_hooks={"request": [lambda request: seen.append(request.url.path)]})
    with CoreClient(base_url=fake_hub.core_url, auth=auth, client=http) as client:
        client.get_nodes()

    assert "/core/nodes" in seen
    http.close()


def test_shared_session(fake_hub, auth):
    session = flame_hub.Session(fake_hub.url, auth=auth, cache_ttl=0)
    auth_client = AuthClient(session=session)
    core_client = CoreClient(session=session)
    realm = auth_client.find_realms(filter={"name": "master"})[0]
    node = core_client.create_node("shared-session", realm_id=realm)

    assert node.realm is realm
    auth_client.close()
    assert core_client.get_node(node.id) is node
    session.close()


def test_per_call_auth_rejected(core_client):
    with pytest.raises(TypeError, match="second client"):
        core_client.get_nodes(auth="other-token")


# --- find and get ----------------------------------------------------------------------------------


def test_find_equality_filter(fake_hub, auth_client):
    realms = auth_client.find_realms(filter={"name": "master"})

    assert [realm.name for realm in realms] == ["master"]
    assert isinstance(realms[0], Realm)
    assert last_query(fake_hub, "/auth/realms") == [
        ("filter[name]", "master"),
        ("page[limit]", "50"),
        ("page[offset]", "0"),
    ]


@pytest.mark.parametrize(
    ("operator", "wire"),
    [
        (FilterOperator.eq, "lab"),
        (FilterOperator.neq, "!lab"),
        (FilterOperator.like, "~lab"),
        (FilterOperator.lt, "<lab"),
        (FilterOperator.le, "<=lab"),
        (FilterOperator.gt, ">lab"),
        (FilterOperator.ge, ">=lab"),
        ("~", "~lab"),
    ],
)
def test_find_operator_filters(fake_hub, core_client, operator, wire):
    core_client.find_nodes(filter={"name": (operator, "lab")})

    assert ("filter[name]", wire) in last_query(fake_hub, "/core/nodes")


def test_find_like_means_ends_with(fake_hub, core_client, master_realm):
    core_client.create_node("lab-one", realm_id=master_realm)
    core_client.create_node("one-lab", realm_id=master_realm)

    names = [node.name for node in core_client.find_nodes(filter={"name": (FilterOperator.like, "lab")})]
    assert names == ["one-lab"]

    contains = core_client.find_nodes(filter={"name__contains": "lab"})
    assert sorted(node.name for node in contains) == ["lab-one", "one-lab"]
    assert ("filter[name]", "~lab~") in last_query(fake_hub, "/core/nodes")


def test_find_filter_forms(fake_hub, core_client, master_realm):
    core_client.find_nodes(filter={"realmId": master_realm, "hidden": False})
    query = last_query(fake_hub, "/core/nodes")
    assert ("filter[realmId]", master_realm.id) in query
    assert ("filter[hidden]", "false") in query

    core_client.find_nodes(filter={"name": ["a-node", "b-node"]})
    assert ("filter[name]", "a-node,b-node") in last_query(fake_hub, "/core/nodes")

    core_client.find_nodes(filter={"client_id": None})
    assert ("filter[clientId]", "null") in last_query(fake_hub, "/core/nodes")


def test_find_bad_filter_raises_before_request(fake_hub, core_client):
    fake_hub.clear_requests()

    with pytest.raises(ValueError, match="cannot be filtered"):
        core_client.find_nodes(filter={"public_key": "abc"})
    with pytest.raises(ValueError, match="registry_id"):
        core_client.find_nodes(filter={"registry.name": "harbor"})
    with pytest.raises(ValueError, match="operator"):
        core_client.find_nodes(filter={"name": ("like", "x")})
    assert fake_hub.requests_to("/core/nodes") == []


def test_find_sort_and_page(fake_hub, core_client, master_realm):
    for index in range(4):
        core_client.create_node(f"paged-{index}", realm_id=master_realm)

    nodes = core_client.find_nodes(sort={"by": "name", "order": "descending"}, page={"limit": 2, "offset": 1})

    assert [node.name for node in nodes] == ["paged-2", "paged-1"]
    query = last_query(fake_hub, "/core/nodes")
    assert ("sort", "-name") in query
    assert ("page[limit]", "2") in query
    assert ("page[offset]", "1") in query


def test_find_reads_past_fifty_rows(fake_hub, core_client, master_realm):
    for index in range(53):
        core_client.create_node(f"many-{index:02d}", realm_id=master_realm)

    nodes = core_client.find_nodes(filter={"name__startswith": "many-"})

    assert len(nodes) == 53
    assert len(fake_hub.requests_to("/core/nodes", "GET")) == 2


def test_find_meta(fake_hub, core_client, master_realm):
    for index in range(3):
        core_client.create_node(f"meta-{index}", realm_id=master_realm)

    nodes, meta = core_client.find_nodes(page={"limit": 2}, meta=True)

    assert len(nodes) == 2
    assert meta.total == 3
    assert meta.limit == 2
    assert meta.offset == 0


def test_find_includes_relations_by_default(fake_hub, core_client):
    core_client.get_nodes()
    assert ("include", "registry,registryProject") in last_query(fake_hub, "/core/nodes")

    core_client.get_nodes(include=())
    assert all(key != "include" for key, _ in last_query(fake_hub, "/core/nodes"))


def test_find_hidden_fields(fake_hub, auth_client):
    users = auth_client.find_users(filter={"name": "admin"}, fields="email")

    assert ("fields", "+email") in last_query(fake_hub, "/auth/users")
    assert users[0].email is not None


def test_find_bad_page_raises(core_client):
    with pytest.raises(ValueError, match="limit"):
        core_client.find_nodes(page={"limit": 0})
    with pytest.raises(ValueError, match="offset"):
        core_client.find_nodes(page={"offset": -1})


def test_get_by_object_uuid_and_string(core_client, master_realm):
    node = core_client.create_node("get-forms", realm_id=master_realm)

    assert core_client.get_node(node) is node
    assert core_client.get_node(uuid.UUID(node.id)) is node
    assert core_client.get_node(node_id=node.id) is node


def test_get_sends_request_each_time(fake_hub, core_client, master_realm):
    node = core_client.create_node("get-fresh", realm_id=master_realm)
    core_client.get_node(node.id)
    core_client.get_node(node.id)

    assert len(fake_hub.requests_to(f"/core/nodes/{node.id}", "GET")) == 2


def test_get_unknown_returns_none(core_client):
    assert core_client.get_node(str(uuid.uuid4())) is None


def test_get_route_404_raises(fake_hub, core_client):
    fake_hub.add_fault("GET", "/core/nodes/*", status=404, body={"status": 404, "message": "Not Found"})

    with pytest.raises(flame_hub.NotFound):
        core_client.get_node(str(uuid.uuid4()))


def test_get_other_error_raises(fake_hub, core_client):
    fake_hub.add_fault("GET", "/core/nodes/*", status=403)

    with pytest.raises(flame_hub.PermissionDenied):
        core_client.get_node(str(uuid.uuid4()))


def test_get_invalid_id_raises_locally(fake_hub, core_client):
    fake_hub.clear_requests()

    with pytest.raises(ValueError, match="UUID"):
        core_client.get_node("my-node")
    with pytest.raises(TypeError, match="Node"):
        core_client.get_node(Realm(name="not-a-node"))
    assert fake_hub.requests_to("/core/nodes/*") == []


# --- create, update, delete ---------------------------------------------------------------------------


def test_create_node_body(fake_hub, core_client, master_realm):
    node = core_client.create_node(name="body-node", realm_id=master_realm)

    assert isinstance(node, Node)
    assert node.id is not None
    assert fake_hub.requests_to("/core/nodes", "POST")[-1].body == {
        "name": "body-node",
        "realmId": master_realm.id,
        "type": "default",
        "hidden": False,
    }


def test_create_positional_and_aliases(fake_hub, core_client, master_realm):
    node = core_client.create_node("aggregator-node", master_realm.id, None, "external", "aggregator", True)

    body = fake_hub.requests_to("/core/nodes", "POST")[-1].body
    assert body["type"] == "aggregator"
    assert body["hidden"] is True
    assert body["externalName"] == "external"
    # An argument passed explicitly is sent, even when it is None.
    assert body["registryId"] is None
    assert node.type == "aggregator"


def test_create_unknown_argument_raises(core_client):
    with pytest.raises(TypeError, match="colour"):
        core_client.create_node("x-node", colour="red")


def test_update_sends_given_fields_only(fake_hub, core_client, master_realm):
    node = core_client.create_node("update-node", realm_id=master_realm)

    updated = core_client.update_node(node.id, hidden=True, node_type="aggregator")

    assert updated is node
    assert node.hidden is True
    assert fake_hub.requests_to(f"/core/nodes/{node.id}", "POST")[-1].body == {"hidden": True, "type": "aggregator"}


def test_update_positional_arguments(fake_hub, core_client, master_realm):
    node = core_client.create_node("positional-node", realm_id=master_realm)

    core_client.update_node(node, "new-external")

    assert fake_hub.requests_to(f"/core/nodes/{node.id}", "POST")[-1].body == {"externalName": "new-external"}


def test_update_to_null(fake_hub, core_client, master_realm):
    node = core_client.create_node("null-node", realm_id=master_realm, external_name="ext")

    core_client.update_node(node, external_name=None)

    assert fake_hub.requests_to(f"/core/nodes/{node.id}", "POST")[-1].body == {"externalName": None}
    assert node.external_name is None


def test_update_ignored_field_warns(fake_hub, core_client, master_realm):
    node = core_client.create_node("realm-node", realm_id=master_realm)

    with pytest.warns(IgnoredFieldWarning, match="realm_id"):
        core_client.update_node(node, realm_id=master_realm, hidden=True)

    assert fake_hub.requests_to(f"/core/nodes/{node.id}", "POST")[-1].body == {"hidden": True}


def test_delete_then_get_none(fake_hub, core_client, master_realm):
    node = core_client.create_node("delete-node", realm_id=master_realm)

    assert core_client.delete_node(node) is None
    assert fake_hub.requests_to(f"/core/nodes/{node.id}", "DELETE")[-1].status == 202
    assert core_client.get_node(node.id) is None


def test_auth_resources_crud(fake_hub, auth_client):
    realm = auth_client.create_realm("crud-realm", display_name="CRUD realm")
    assert fake_hub.requests_to("/auth/realms", "POST")[-1].body == {"name": "crud-realm", "displayName": "CRUD realm"}

    auth_client.update_realm(realm, description="a realm for tests")
    assert auth_client.get_realm(realm.id).description == "a realm for tests"

    auth_client.delete_realm(realm.id)
    assert auth_client.get_realm(realm.id) is None


def test_create_user_sends_official_defaults(fake_hub, auth_client):
    user = auth_client.create_user("facade-user", "facade-user@example.com")

    assert fake_hub.requests_to("/auth/users", "POST")[-1].body == {
        "name": "facade-user",
        "email": "facade-user@example.com",
        "active": True,
        "nameLocked": False,
    }
    assert user.name == "facade-user"


def test_storage_bucket_crud(fake_hub, auth):
    with StorageClient(base_url=fake_hub.storage_url, auth=auth) as client:
        bucket = client.create_bucket("facade-bucket")
        assert client.get_bucket(bucket.id).name == "facade-bucket"
        assert [found.id for found in client.find_buckets(filter={"name": "facade-bucket"})] == [bucket.id]

        client.delete_bucket(bucket)
        assert client.get_bucket(bucket.id) is None


def test_get_with_meta(fake_hub, core_client, master_realm):
    node = core_client.create_node("meta-node", realm_id=master_realm)

    fetched, meta = core_client.get_node(node.id, meta=True)

    assert fetched is node
    assert "schema" in meta
    assert ("include", "registry,registryProject") in last_query(fake_hub, f"/core/nodes/{node.id}")
    assert core_client.get_node(str(uuid.uuid4()), meta=True) is None


def test_sort_string_and_list_forms(fake_hub, core_client):
    core_client.find_nodes(sort="-createdAt")
    assert ("sort", "-createdAt") in last_query(fake_hub, "/core/nodes")

    core_client.find_nodes(sort=[{"by": "name"}, "-updated_at"])
    assert ("sort", "name,-updatedAt") in last_query(fake_hub, "/core/nodes")

    with pytest.raises(ValueError, match="cannot be sorted"):
        core_client.find_nodes(sort={"by": "public_key"})
    with pytest.raises(ValueError, match="order"):
        core_client.find_nodes(sort={"by": "name", "order": "down"})


def test_update_without_changes_reads(fake_hub, core_client, master_realm):
    node = core_client.create_node("unchanged-node", realm_id=master_realm)
    core_client.session.clear()
    fake_hub.clear_requests()

    fetched = core_client.update_node(node.id)

    assert fetched.name == "unchanged-node"
    assert fake_hub.requests_to(f"/core/nodes/{node.id}", "POST") == []
    assert len(fake_hub.requests_to(f"/core/nodes/{node.id}", "GET")) == 1
