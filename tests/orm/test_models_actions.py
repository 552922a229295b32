"""Resource-specific actions: analysis commands, credentials, registry and master-image commands, files, logs."""

import io
import tarfile

import pytest
from _orm_helpers import logged, make_session

from flame_hub import errors
from flame_hub.models import (
    Analysis,
    AnalysisLog,
    AnalysisNodeLog,
    Bucket,
    BucketFile,
    ClientCredentials,
    MasterImage,
    Node,
    Project,
    Registry,
    RegistryProject,
)
from flame_hub.types import LogLevel


@pytest.fixture
def session(fake_hub):
    with make_session(fake_hub) as hub_session:
        yield hub_session


@pytest.fixture
def analysis(session):
    project = Project.objects.using(session).create(name="proj-1")
    return Analysis.objects.using(session).create(project=project, name="ana-1")


def test_analysis_command_body(fake_hub, analysis):
    with pytest.raises(errors.BadRequest):
        analysis.lock()
    request = logged(fake_hub, f"/core/analyses/{analysis.id}/command", "POST")[-1]
    assert request.body == {"command": "configurationLock"}


def test_analysis_command_names(fake_hub, analysis):
    analysis.storage_check()
    assert logged(fake_hub, f"/core/analyses/{analysis.id}/command", "POST")[-1].body == {"command": "storageCheck"}


def test_analysis_unknown_command(fake_hub, analysis):
    with pytest.raises(ValueError, match="Unknown analysis command 'explode'"):
        analysis.command("explode")
    assert logged(fake_hub, f"/core/analyses/{analysis.id}/command", "POST", count=0) == []


def test_node_client_credentials(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    credentials = node.client_credentials()
    assert isinstance(credentials, ClientCredentials)
    assert credentials.id == node.client_id
    assert credentials.secret
    assert credentials.secret not in repr(credentials)


def test_node_set_client_secret(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    credentials = node.set_client_secret("rec-client-secret-123456")
    request = logged(fake_hub, f"/core/nodes/{node.id}/client/credentials", "POST")[-1]
    assert request.body == {"secret": "rec-client-secret-123456"}
    assert credentials.secret == "rec-client-secret-123456"


def test_node_generated_secret(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    credentials = node.set_client_secret()
    assert logged(fake_hub, f"/core/nodes/{node.id}/client/credentials", "POST")[-1].body == {"secret": None}
    assert len(credentials.secret) >= 32


def test_node_registry_credentials_without_project(session):
    node = Node.objects.using(session).create(name="lab-1")
    with pytest.raises(errors.BadRequest, match="registry project"):
        node.registry_credentials()


def test_analysis_client_credentials(session, analysis):
    credentials = analysis.client_credentials()
    assert credentials.id == analysis.client_id


def test_registry_setup(fake_hub, session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    registry.setup()
    request = logged(fake_hub, "/core/services/registry/command", "POST")[-1]
    assert request.body == {"command": "setup", "id": registry.id}
    assert request.status == 202


def test_registry_command_rejects_project_commands(session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    with pytest.raises(ValueError, match="RegistryProject.link"):
        registry.command("projectLink")


def test_registry_project_link(fake_hub, session):
    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    project = RegistryProject.objects.using(session).create(
        name="proj-one", type="default", registry=registry, external_name="proj_one"
    )
    project.link()
    assert logged(fake_hub, "/core/services/registry/command", "POST")[-1].body == {
        "command": "projectLink",
        "id": project.id,
    }


def test_master_image_sync(fake_hub, session):
    MasterImage.objects.using(session).sync()
    MasterImage.objects.sync(using=session)
    requests = logged(fake_hub, "/core/master-images/command", "POST", count=2)
    assert [request.body for request in requests] == [{"command": "sync"}, {"command": "sync"}]
    assert requests[-1].status == 202


def test_master_image_build(fake_hub, session):
    image = MasterImage.objects.using(session).first()
    if image is None:
        pytest.skip("the fake Hub has no master images seeded")
    image.build()
    assert logged(fake_hub, "/core/master-images/command", "POST")[-1].body == {"command": "build", "id": image.id}
    assert image.build_status == "starting"


def test_upload_forms(fake_hub, session, tmp_path):
    local = tmp_path / "data.csv"
    local.write_text("a,b\n1,2\n")
    bucket = Bucket.objects.using(session).create(name="bucket-1")

    files = bucket.upload(
        local,
        ("dir/raw.bin", b"\x00\x01\x02"),
        ("notes.txt", io.BytesIO(b"hello"), "text/plain"),
        {"conf/settings.json": b"{}"},
    )

    assert [bucket_file.path for bucket_file in files] == ["data.csv", "dir/raw.bin", "notes.txt", "conf/settings.json"]
    assert [bucket_file.size for bucket_file in files] == [8, 3, 5, 2]
    assert all(isinstance(bucket_file, BucketFile) for bucket_file in files)
    request = logged(fake_hub, f"/storage/buckets/{bucket.id}/upload", "POST")[-1]
    raw = request.body if isinstance(request.body, bytes) else b""
    assert b'filename="dir/raw.bin"' in raw
    assert b"Content-Type: text/csv" in raw
    assert b"Content-Type: text/plain" in raw


def test_upload_needs_files(session):
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    with pytest.raises(ValueError, match="at least one file"):
        bucket.upload()


def test_upload_rejects_unknown_source(session):
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    with pytest.raises(TypeError, match="Cannot upload a int"):
        bucket.upload(42)


def test_download_and_stream(session, tmp_path):
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    payload = b"line\n" * 50_000
    [bucket_file] = bucket.upload(("big.txt", payload))

    assert b"".join(bucket_file.stream()) == payload
    target = tmp_path / "copy.txt"
    assert bucket_file.download(target) == len(payload)
    assert target.read_bytes() == payload
    assert bucket_file.download(tmp_path) == len(payload)
    assert (tmp_path / "big.txt").read_bytes() == payload
    sink = io.BytesIO()
    bucket_file.download(sink)
    assert sink.getvalue() == payload


def test_stream_gzip_decoded(fake_hub, session):
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    [bucket_file] = bucket.upload(("hello.txt", b"hello gzip" * 100))
    assert bucket_file.read() == b"hello gzip" * 100
    request = logged(fake_hub, f"/storage/bucket-files/{bucket_file.id}/stream", "GET")[-1]
    assert "gzip" in request.headers.get("accept-encoding", "")


def test_tarball(session):
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    bucket.upload(("a.txt", b"alpha"), ("dir/b.txt", b"beta"))
    archive = tarfile.open(fileobj=io.BytesIO(b"".join(bucket.tarball())))
    assert sorted(archive.getnames()) == ["a.txt", "dir/b.txt"]
    assert archive.extractfile("dir/b.txt").read() == b"beta"


def test_analysis_logs_query(fake_hub, session, analysis):
    logs = list(AnalysisLog.objects.using(session).filter(analysis=analysis, level=LogLevel.ERROR))
    assert logs == []
    query = logged(fake_hub, "/core/analysis-logs", "GET")[-1].query
    assert query == f"filter[analysisId]={analysis.id}&filter[level]=error&page[limit]=50&page[offset]=0"


def test_analysis_logs_reverse(session, analysis):
    assert repr(analysis.logs) == f"<QuerySet AnalysisLog filter(analysis_id='{analysis.id}')>"


def test_analysis_logs_delete(fake_hub, session, analysis):
    AnalysisLog.objects.using(session).filter(analysis=analysis).delete()
    request = logged(fake_hub, "/core/analysis-logs", "DELETE")[-1]
    assert request.query == f"filter[analysisId]={analysis.id}"
    assert request.status == 202


def test_node_log_create_and_find(fake_hub, session, analysis):
    node = Node.objects.using(session).create(name="lab-1")
    log = AnalysisNodeLog.objects.using(session).create(
        analysis=analysis, node=node, level="info", message="hello from a node", labels={"step": "one"}
    )
    request = logged(fake_hub, "/core/analysis-node-logs", "POST")[-1]
    assert request.body == {
        "analysisId": analysis.id,
        "nodeId": node.id,
        "level": "info",
        "message": "hello from a node",
        "labels": {"step": "one"},
    }
    assert request.status == 202
    assert log.level == LogLevel.INFO
    assert log.time is not None

    list(AnalysisNodeLog.objects.using(session).filter(analysis=analysis, node=node))
    query = logged(fake_hub, "/core/analysis-node-logs", "GET")[-1].query
    assert query.startswith(f"filter[analysisId]={analysis.id}&filter[nodeId]={node.id}")


def test_node_log_requires_both_filters(session, analysis):
    with pytest.raises(ValueError, match="analysis_id, node_id"):
        list(AnalysisNodeLog.objects.using(session).filter(level="info"))
    with pytest.raises(ValueError, match="node_id"):
        AnalysisNodeLog.objects.using(session).filter(analysis=analysis).delete()


def test_node_log_checks_values_locally(session, analysis):
    with pytest.raises(ValueError, match="'loud' is not accepted"):
        AnalysisNodeLog(analysis=analysis, level="loud", message="hello there")
    with pytest.raises(ValueError, match="3 to 2048 characters"):
        AnalysisNodeLog(analysis=analysis, level="info", message="x")


def test_analysis_client_permissions(fake_hub, session, analysis):
    from flame_hub.models import Permission

    permission = Permission.objects.using(session).get(name="analysis_self_storage_use")
    granted = analysis.client_permissions()
    assert permission.id in [item.permission_id for item in granted]

    analysis.remove_client_permission(permission.id)
    assert logged(fake_hub, f"/core/analyses/{analysis.id}/client/permissions/{permission.id}", "DELETE")
    assert permission.id not in [item.permission_id for item in analysis.client_permissions()]

    added = analysis.add_client_permission(permission)
    assert added.permission_id == permission.id
    assert logged(fake_hub, f"/core/analyses/{analysis.id}/client/permissions", "POST")[-1].body == {
        "permissionId": permission.id
    }
    assert permission.id in [item.permission_id for item in analysis.client_permissions()]


def test_user_me(fake_hub, session):
    from flame_hub.models import User

    me = User.objects.using(session).me()
    assert me.name == "admin"
    assert logged(fake_hub, "/auth/users/@me", "GET")
    assert User.objects.using(session).get(id=me.id) is me
