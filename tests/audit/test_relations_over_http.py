"""Forward relations load lazily, once, from the right service; reverse relations are QuerySets."""

from __future__ import annotations

import pytest

from flame_hub import Session
from flame_hub._queryset import QuerySet
from flame_hub.auth import PasswordAuth
from flame_hub.models import (
    Analysis,
    AnalysisBucket,
    AnalysisNode,
    Bucket,
    MasterImage,
    Node,
    Project,
    ProjectNode,
    Realm,
    Registry,
    RegistryProject,
)
from flame_hub.types import AnalysisBucketType, NodeType


@pytest.fixture
def session(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as opened:
        yield opened


def build_records(session):
    """Create one record of every kind the listed relations connect, and return them by name."""
    objects = Node.objects.using(session)
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    RegistryProject.objects.using(session).create(
        name="proj-one", type="default", registry=registry, external_name="proj_one"
    )
    # The Hub creates and links the node's own registry project when the node gets a registry.
    node = objects.create(name="lab-1", type=NodeType.AGGREGATOR, registry=registry)
    assert node.registry_project_id is not None
    registry_project = RegistryProject.objects.using(session).get(id=node.registry_project_id)
    image = MasterImage.objects.using(session).first()
    assert image is not None, "the fake Hub seeds master images"
    project = Project.objects.using(session).create(name="proj-1", master_image=image)
    analysis = Analysis.objects.using(session).create(project=project)
    project_node = ProjectNode.objects.using(session).create(project=project, node=node)
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    [bucket_file] = bucket.upload(("a.txt", b"a"))
    analysis_bucket = AnalysisBucket.objects.using(session).create(
        type=AnalysisBucketType.CODE, bucket=bucket, analysis=analysis
    )
    return {
        "node": node,
        "registry": registry,
        "registry_project": registry_project,
        "image": image,
        "project": project,
        "analysis": analysis,
        "project_node": project_node,
        "bucket": bucket,
        "bucket_file": bucket_file,
        "analysis_bucket": analysis_bucket,
    }


# (record, relation, related record, path of the request that loads it)
FORWARD = [
    ("node", "realm", None, "/auth/realms/{id}"),
    ("node", "registry", "registry", "/core/registries/{id}"),
    ("node", "registry_project", "registry_project", "/core/registry-projects/{id}"),
    ("project", "master_image", "image", "/core/master-images/{id}"),
    ("analysis", "project", "project", "/core/projects/{id}"),
    ("project_node", "node", "node", "/core/nodes/{id}"),
    ("bucket_file", "bucket", "bucket", "/storage/buckets/{id}"),
    ("analysis_bucket", "bucket", "bucket", "/storage/buckets/{id}"),
]


@pytest.mark.parametrize(("owner", "relation", "target", "path"), FORWARD, ids=[f"{o}.{r}" for o, r, _, _ in FORWARD])
def test_forward_relation_loads_once(fake_hub, session, owner, relation, target, path):
    records = build_records(session)
    record = records[owner]
    expected_id = record.realm_id if target is None else records[target].id
    session.clear()
    loaded = type(record).objects.using(session).get(id=record.id)
    fake_hub.clear_requests()

    repr(loaded)
    assert fake_hub.requests == []

    related = getattr(loaded, relation)
    again = getattr(loaded, relation)

    assert related.id == expected_id
    assert again is related
    # The Hub may embed the related record in the owner's response; otherwise one GET loads it.
    gets = [request.path for request in fake_hub.requests]
    assert gets in ([], [path.format(id=expected_id)])


def test_setting_relation_sets_id(session):
    records = build_records(session)
    node = records["node"]

    node.registry = None
    assert node.registry_id is None
    node.registry = records["registry"]
    assert node.registry_id == records["registry"].id


REVERSE = [
    ("project", "analyses", Analysis, "project_id"),
    ("analysis", "analysis_nodes", AnalysisNode, "analysis_id"),
    ("registry", "projects", RegistryProject, "registry_id"),
    ("bucket", "files", None, "bucket_id"),
]


@pytest.mark.parametrize(("owner", "relation", "model", "field"), REVERSE, ids=[f"{o}.{r}" for o, r, _, _ in REVERSE])
def test_reverse_relation_is_queryset(fake_hub, session, owner, relation, model, field):
    records = build_records(session)
    record = records[owner]
    fake_hub.clear_requests()

    queryset = getattr(record, relation)

    assert isinstance(queryset, QuerySet)
    assert fake_hub.requests == []
    rows = list(queryset)
    assert all(getattr(row, field) == record.id for row in rows)
    [request] = fake_hub.requests
    assert request.query_params[0][1] == record.id


def test_realm_nodes_is_filtered_queryset(fake_hub, session):
    records = build_records(session)
    realm = Realm.objects.using(session).get(name="master")
    fake_hub.clear_requests()

    nodes = list(realm.nodes)

    assert records["node"] in nodes
    [request] = fake_hub.requests_to("/core/nodes", "GET")
    assert ("filter[realmId]", realm.id) in request.query_params
