"""Forward and reverse relations: lazy loading, include, embedded records, prefetch and lazy='raise'."""

import pytest
from _orm_helpers import logged, make_session, settle

from flame_hub.models import (
    Analysis,
    AnalysisBucket,
    AnalysisNode,
    Bucket,
    BucketFile,
    MasterImage,
    Node,
    Project,
    ProjectNode,
    Realm,
    Registry,
    RegistryProject,
    RelationNotLoaded,
)
from flame_hub.types import AnalysisBucketType, NodeType


@pytest.fixture
def session(fake_hub):
    with make_session(fake_hub) as hub_session:
        yield hub_session


def request_count(hub):
    settle(hub)
    return len(hub.requests)


def test_forward_relation_loads_once(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    session.clear()
    node = Node.objects.using(session).get(id=node.id)

    realm = node.realm
    before = request_count(fake_hub)
    assert node.realm is realm
    assert request_count(fake_hub) == before
    assert realm.name == "master"
    assert logged(fake_hub, f"/auth/realms/{realm.id}", "GET")


def test_repr_never_loads_relations(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    session.clear()
    node = Node.objects.using(session).get(id=node.id)
    before = request_count(fake_hub)
    repr(node)
    str(node)
    assert request_count(fake_hub) == before


def test_null_relation_is_none_without_request(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    before = request_count(fake_hub)
    assert node.registry is None
    assert request_count(fake_hub) == before


def test_include_fills_relation(fake_hub, session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    node = Node.objects.using(session).create(name="lab-1", registry=registry)
    session.clear()

    [loaded] = Node.objects.using(session).filter(id=node.id).include("registry")
    before = request_count(fake_hub)
    assert loaded.registry.name == "reg-1"
    assert request_count(fake_hub) == before


def test_included_but_missing_is_not_loaded(fake_hub, session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    node = Node.objects.using(session).create(name="lab-1", registry=registry)
    session.clear()
    empty_include = {"data": [{"id": node.id, "name": "lab-1", "registryId": registry.id}], "meta": {"total": 1}}
    fake_hub.add_fault("GET", "/core/nodes", status=200, body=empty_include)

    [loaded] = Node.objects.using(session).filter(id=node.id).include("registry")
    assert "registry" not in loaded._related
    assert loaded.registry.name == "reg-1"
    assert logged(fake_hub, f"/core/registries/{registry.id}", "GET")


def test_embedded_records_fill_relations(fake_hub, session):
    project = Project.objects.using(session).create(name="proj-1")
    node = Node.objects.using(session).create(name="lab-1", type=NodeType.AGGREGATOR)
    project_node = ProjectNode.objects.using(session).create(project=project, node=node)

    before = request_count(fake_hub)
    assert project_node.node is node
    assert project_node.project is project
    assert request_count(fake_hub) == before


def test_prefetch_batches_one_request(fake_hub, session):
    realms = [Realm.objects.using(session).create(name=f"realm-{index}") for index in range(3)]
    for index in range(6):
        Node.objects.using(session).create(name=f"lab-{index}", realm=realms[index % 3])
    session.clear()
    settle(fake_hub)
    fake_hub.clear_requests()

    nodes = list(Node.objects.using(session).filter(name__startswith="lab-").prefetch("realm"))
    settle(fake_hub)
    realm_requests = fake_hub.requests_to("/auth/realms*", "GET")

    assert len(realm_requests) == 1
    assert sorted(realm_requests[0].query_params[0][1].split(",")) == sorted(realm.id for realm in realms)
    before = request_count(fake_hub)
    assert {node.realm.name for node in nodes} == {"realm-0", "realm-1", "realm-2"}
    assert request_count(fake_hub) == before


def test_lazy_raise_session(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    with make_session(fake_hub, lazy="raise") as strict:
        loaded = Node.objects.using(strict).get(id=node.id)
        with pytest.raises(RelationNotLoaded, match=r"load it with \.prefetch\('realm'\) in the query"):
            loaded.realm  # noqa: B018
        prefetched = Node.objects.using(strict).filter(id=node.id).prefetch("realm")[0]
        assert prefetched.realm.name == "master"


def test_relation_across_services(fake_hub, session):
    project = Project.objects.using(session).create(name="proj-1")
    analysis = Analysis.objects.using(session).create(project=project)
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    analysis_bucket = AnalysisBucket.objects.using(session).create(
        type=AnalysisBucketType.CODE, bucket=bucket, analysis=analysis
    )
    session.clear()

    loaded = AnalysisBucket.objects.using(session).get(id=analysis_bucket.id)
    assert loaded.bucket.name == "bucket-1"
    assert logged(fake_hub, f"/storage/buckets/{bucket.id}", "GET")


def test_bucket_file_bucket(session):
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    [bucket_file] = bucket.upload(("hello.txt", b"hello"))
    assert bucket_file.bucket is bucket


def test_setting_relation_sets_id(session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    node = Node(name="lab-1")
    node.registry = registry
    assert node.registry_id == registry.id
    node.registry = None
    assert node.registry_id is None
    node.registry = registry.id
    assert node.registry_id == registry.id


def test_setting_relation_of_wrong_type(session):
    project = Project.objects.using(session).create(name="proj-1")
    with pytest.raises(TypeError, match="takes a Registry"):
        Node(name="lab-1").registry = project


def test_stale_relation_reloaded_after_id_change(session):
    first = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    second = Registry.objects.using(session).create(name="reg-2", host="reg-2.example.org")
    node = Node.objects.using(session).create(name="lab-1", registry=first)
    node.registry_id = second.id
    assert node.registry is second


def test_reverse_relations(fake_hub, session):
    project = Project.objects.using(session).create(name="proj-1")
    analysis = Analysis.objects.using(session).create(project=project)
    Analysis.objects.using(session).create(project=Project.objects.using(session).create(name="proj-2"))

    assert list(project.analyses) == [analysis]
    assert logged(fake_hub, "/core/analyses", "GET")[-1].query.startswith(f"filter[projectId]={project.id}")
    assert repr(project.analyses) == f"<QuerySet Analysis filter(project_id='{project.id}')>"


def test_reverse_relations_of_other_resources(session):
    realm = Realm.objects.using(session).get(name="master")
    node = Node.objects.using(session).create(name="lab-1", type=NodeType.AGGREGATOR)
    project = Project.objects.using(session).create(name="proj-1")
    ProjectNode.objects.using(session).create(project=project, node=node)
    analysis = Analysis.objects.using(session).create(project=project)
    analysis_node = AnalysisNode.objects.using(session).create(analysis=analysis, node=node)
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    registry_project = RegistryProject.objects.using(session).create(
        name="proj-one", type="default", registry=registry, external_name="proj_one"
    )
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    bucket.upload(("a.txt", b"a"))

    assert node in list(realm.nodes)
    assert list(analysis.analysis_nodes) == [analysis_node]
    assert list(registry.projects) == [registry_project]
    assert [bucket_file.path for bucket_file in bucket.files] == ["a.txt"]
    assert isinstance(bucket.files[0], BucketFile)


def test_reverse_relation_needs_saved_object():
    with pytest.raises(ValueError, match="needs a saved object"):
        Project(name="proj-1").analyses  # noqa: B018


def test_reverse_relation_not_assignable(session):
    project = Project.objects.using(session).create(name="proj-1")
    with pytest.raises(AttributeError, match="set Analysis.project_id"):
        project.analyses = []


def test_project_master_image(fake_hub, session):
    image = MasterImage.objects.using(session).first()
    assert image is not None
    project = Project.objects.using(session).create(name="proj-1", master_image=image)
    session.clear()

    [loaded] = Project.objects.using(session).filter(id=project.id).include("master_image")
    before = request_count(fake_hub)
    assert loaded.master_image.id == image.id
    assert request_count(fake_hub) == before
    assert "include=masterImage" in logged(fake_hub, "/core/projects", "GET")[-1].query


def test_prefetch_without_id_filter(fake_hub, session):
    from flame_hub.models import AnalysisBucketFile

    project = Project.objects.using(session).create(name="proj-1")
    analysis = Analysis.objects.using(session).create(project=project)
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    [bucket_file] = bucket.upload(("main.py", b"print(1)"))
    analysis_bucket = AnalysisBucket.objects.using(session).create(
        type=AnalysisBucketType.CODE, bucket=bucket, analysis=analysis
    )
    AnalysisBucketFile.objects.using(session).create(
        analysis_bucket=analysis_bucket, bucket=bucket, bucket_file=bucket_file, path="main.py", root=True
    )
    session.clear()

    [loaded] = AnalysisBucketFile.objects.using(session).filter(analysis=analysis).prefetch("analysis_bucket")
    before = request_count(fake_hub)
    assert loaded.analysis_bucket.id == analysis_bucket.id
    assert request_count(fake_hub) == before


def test_prefetch_fifty_nodes_one_request(fake_hub, session):
    realms = [Realm.objects.using(session).create(name=f"realm-{index}") for index in range(5)]
    for index in range(50):
        Node.objects.using(session).create(name=f"lab-{index:02d}", realm=realms[index % 5])
    session.clear()
    settle(fake_hub)
    fake_hub.clear_requests()

    nodes = list(Node.objects.using(session).filter(name__startswith="lab-").prefetch("realm"))
    settle(fake_hub)

    assert len(nodes) == 50
    assert len(fake_hub.requests_to("/core/nodes", "GET")) == 1
    assert len(fake_hub.requests_to("/auth/realms*", "GET")) == 1
    assert all(node.realm in realms for node in nodes)
