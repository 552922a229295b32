"""The exact request of every operation on every resource, read from the fake Hub's request log.

The expected paths, query strings and bodies are written out here, so a change to what the ORM
sends shows up as a failure naming the resource.
"""

from __future__ import annotations

import pytest

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import (
    Analysis,
    AnalysisBucket,
    AnalysisBucketFile,
    AnalysisNode,
    Bucket,
    BucketFile,
    Client,
    ClientPermission,
    ClientRole,
    MasterImage,
    MasterImageGroup,
    Node,
    Permission,
    Project,
    ProjectNode,
    Realm,
    Registry,
    RegistryProject,
    Role,
    RolePermission,
    User,
    UserPermission,
    UserRole,
)

# Sorting by id keeps pages stable where the Hub allows it; auth lists and the core resources
# that cannot be sorted by id are sent without a sort.
LIST_QUERY = "page[limit]=2&page[offset]=0"
SORTED_LIST_QUERY = "sort=id&page[limit]=2&page[offset]=0"


@pytest.fixture
def session(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as opened:
        yield opened


def build_graph(session):
    """Create one record of every resource that can be created, in dependency order."""
    create = {}

    def add(model, **values):
        obj = model.objects.using(session).create(**values)
        create[model] = obj
        return obj

    realm = add(Realm, name="audit-realm")
    user = add(User, name="audit-user", email="audit-user@example.org")
    role = add(Role, name="audit-role")
    permission = add(Permission, name="audit-perm")
    add(RolePermission, role=role, permission=permission)
    add(UserPermission, user=user, permission=permission)
    add(UserRole, user=user, role=role)
    client = add(Client, name="audit-client")
    add(ClientPermission, client=client, permission=permission)
    add(ClientRole, client=client, role=role)
    node = add(Node, name="audit-node")
    registry = add(Registry, name="audit-reg", host="audit.example.org")
    add(RegistryProject, name="audit-rp", type="default", registry=registry, external_name="audit_rp")
    project = add(Project, name="audit-proj")
    add(ProjectNode, project=project, node=node)
    analysis = add(Analysis, project=project)
    add(AnalysisNode, analysis=analysis, node=node)
    bucket = add(Bucket, name="audit-bucket")
    [bucket_file] = bucket.upload(("a.txt", b"a"))
    analysis_bucket = add(AnalysisBucket, type="CODE", bucket=bucket, analysis=analysis)
    add(AnalysisBucketFile, path="a.txt", bucket_file=bucket_file, bucket=bucket, analysis_bucket=analysis_bucket)
    assert realm.id is not None
    return create


def expected_create_bodies(graph):
    """Return the body each create must send, built from the ids of the records it refers to."""
    ids = {model: obj.id for model, obj in graph.items()}
    return {
        Realm: {"name": "audit-realm"},
        User: {"name": "audit-user", "email": "audit-user@example.org"},
        Role: {"name": "audit-role"},
        Permission: {"name": "audit-perm"},
        RolePermission: {"roleId": ids[Role], "permissionId": ids[Permission]},
        UserPermission: {"userId": ids[User], "permissionId": ids[Permission]},
        UserRole: {"userId": ids[User], "roleId": ids[Role]},
        # A client created without authMethod is a public client that cannot log in with a secret.
        Client: {"name": "audit-client", "authMethod": "secret"},
        ClientPermission: {"clientId": ids[Client], "permissionId": ids[Permission]},
        ClientRole: {"clientId": ids[Client], "roleId": ids[Role]},
        Node: {"name": "audit-node"},
        Registry: {"name": "audit-reg", "host": "audit.example.org"},
        RegistryProject: {
            "name": "audit-rp",
            "type": "default",
            "registryId": ids[Registry],
            "externalName": "audit_rp",
        },
        Project: {"name": "audit-proj"},
        ProjectNode: {"projectId": ids[Project], "nodeId": ids[Node]},
        Analysis: {"projectId": ids[Project]},
        AnalysisNode: {"analysisId": ids[Analysis], "nodeId": ids[Node]},
        Bucket: {"name": "audit-bucket"},
        AnalysisBucket: {"type": "CODE", "bucketId": ids[Bucket], "analysisId": ids[Analysis]},
        AnalysisBucketFile: {
            "analysisBucketId": ids[AnalysisBucket],
            "bucketId": ids[Bucket],
            "bucketFileId": graph[AnalysisBucketFile].bucket_file_id,
            "path": "a.txt",
        },
    }


def service_path(model, record_id=None):
    path = f"/{model._meta.service}/{model._meta.path}"
    return path if record_id is None else f"{path}/{record_id}"


def test_create_sends_exact_body(fake_hub, session):
    graph = build_graph(session)

    for model, body in expected_create_bodies(graph).items():
        [request] = fake_hub.requests_to(service_path(model), "POST")
        assert request.query == "", model.__name__
        assert request.body == body, model.__name__
        assert request.status == 201, model.__name__


def test_get_by_id_sends_bare_path(fake_hub, session):
    graph = build_graph(session)

    for model, obj in graph.items():
        session.clear()
        fake_hub.clear_requests()
        loaded = model.objects.using(session).get(id=obj.id)

        [request] = fake_hub.requests
        assert (request.method, request.path, request.query) == ("GET", service_path(model, obj.id), ""), model
        assert loaded.id == obj.id


SORTED_BY_ID = {Registry, RegistryProject, Project, Bucket}


def test_list_sends_paging_and_sort(fake_hub, session):
    graph = build_graph(session)

    for model in graph:
        fake_hub.clear_requests()
        rows = list(model.objects.using(session).all()[:2])

        [request] = fake_hub.requests
        expected = SORTED_LIST_QUERY if model in SORTED_BY_ID else LIST_QUERY
        assert (request.method, request.path, request.query) == ("GET", service_path(model), expected), model
        assert 1 <= len(rows) <= 2, model.__name__


UPDATES = {
    Realm: ("display_name", "Audit realm", {"displayName": "Audit realm"}),
    User: ("display_name", "Audit user", {"displayName": "Audit user"}),
    Role: ("description", "An audit role.", {"description": "An audit role."}),
    Permission: ("description", "An audit permission.", {"description": "An audit permission."}),
    Client: ("description", "An audit client.", {"description": "An audit client."}),
    Node: ("hidden", True, {"hidden": True}),
    Registry: ("account_name", "robot-audit", {"accountName": "robot-audit"}),
    RegistryProject: ("name", "audit-rp-2", {"name": "audit-rp-2"}),
    Project: ("description", "An audit project.", {"description": "An audit project."}),
    ProjectNode: ("comment", "Looks fine.", {"comment": "Looks fine."}),
    Analysis: ("description", "An audit analysis.", {"description": "An audit analysis."}),
    AnalysisNode: ("comment", "Looks fine.", {"comment": "Looks fine."}),
    AnalysisBucketFile: ("root", True, {"root": True}),
}


def test_every_updatable_resource_listed(session):
    graph = build_graph(session)

    assert {model for model in graph if model._meta.supports("update")} == set(UPDATES)
    assert set(expected_create_bodies(graph)) == set(graph)


def test_update_sends_changed_field_only(fake_hub, session):
    graph = build_graph(session)

    for model, (name, value, body) in UPDATES.items():
        obj = graph[model]
        fake_hub.clear_requests()
        setattr(obj, name, value)
        obj.save()

        [request] = fake_hub.requests
        assert (request.method, request.path, request.query) == ("POST", service_path(model, obj.id), ""), model
        assert request.body == body, model.__name__
        assert request.status == 202, model.__name__
        assert getattr(obj, name) == value, model.__name__
        assert obj.changed_fields() == [], model.__name__


def test_delete_sends_bare_path(fake_hub, session):
    graph = build_graph(session)

    for model in reversed(list(graph)):
        obj = graph[model]
        fake_hub.clear_requests()
        obj.delete()

        [request] = fake_hub.requests
        assert (request.method, request.path, request.query) == ("DELETE", service_path(model, obj.id), ""), model
        assert request.body is None, model.__name__
        assert request.status == 202, model.__name__
        assert not obj.is_saved, model.__name__


def test_read_only_resources_list_and_get(fake_hub, session):
    bucket = Bucket.objects.using(session).create(name="audit-bucket")
    bucket.upload(("a.txt", b"a"))
    expected_queries = {MasterImage: LIST_QUERY, MasterImageGroup: LIST_QUERY, BucketFile: SORTED_LIST_QUERY}

    for model, query in expected_queries.items():
        fake_hub.clear_requests()
        [first, *_] = list(model.objects.using(session).all()[:2])
        session.clear()
        model.objects.using(session).get(id=first.id)

        list_request, get_request = fake_hub.requests
        assert (list_request.method, list_request.path, list_request.query) == ("GET", service_path(model), query)
        assert (get_request.method, get_request.path, get_request.query) == ("GET", service_path(model, first.id), "")
