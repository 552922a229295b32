"""The functional clients' resource-specific actions: credentials, commands, logs, uploads and streams."""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import flame_hub
from flame_hub import AuthClient, CoreClient, StorageClient
from flame_hub.models import Analysis, BucketFile, ClientCredentials, Node, Registry

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def clients(fake_hub) -> Iterator[tuple[AuthClient, CoreClient, StorageClient]]:
    auth = flame_hub.auth.PasswordAuth(username="admin", password="start123", base_url=fake_hub.auth_url)
    auth_client = AuthClient(base_url=fake_hub.auth_url, auth=auth)
    core_client = CoreClient(base_url=fake_hub.core_url, auth=auth)
    storage_client = StorageClient(base_url=fake_hub.storage_url, auth=auth)
    yield auth_client, core_client, storage_client
    for client in (auth_client, core_client, storage_client):
        client.close()


@pytest.fixture
def core_client(clients) -> CoreClient:
    return clients[1]


@pytest.fixture
def storage_client(clients) -> StorageClient:
    return clients[2]


@pytest.fixture
def node(clients) -> Node:
    auth_client, core_client, _ = clients
    realm = auth_client.find_realms(filter={"name": "master"})[0]
    return core_client.create_node("action-node", realm_id=realm)


@pytest.fixture
def analysis(core_client, node) -> Analysis:
    project = core_client.create_project("action-project")
    core_client.create_project_node(project, node)
    created = core_client.create_analysis(project, name="action-analysis")
    core_client.create_analysis_node(created, node)
    return created


def last_body(hub, path: str, method: str = "POST") -> Any:
    return hub.requests_to(path, method)[-1].body


def logged_request(hub, path: str, method: str) -> Any:
    """Return the last logged request to ``path``, waiting up to 5 s for it to appear in the log.

    The fake Hub logs a request before it sends the status line, so the wait ends at once for a
    call that has returned. It only bounds the failure when no such request was sent.
    """
    deadline = time.monotonic() + 5
    while True:
        found = hub.requests_to(path, method)
        if found or time.monotonic() > deadline:
            assert found, f"no {method} {path} in the fake Hub's request log"
            return found[-1]
        time.sleep(0.01)


# --- nodes -------------------------------------------------------------------------------------------


def test_node_client_credentials(fake_hub, core_client, node):
    credentials = core_client.get_node_client_credentials(node)

    assert isinstance(credentials, ClientCredentials)
    assert credentials.id == node.client_id
    assert credentials.secret


def test_node_client_credentials_update(fake_hub, core_client, node):
    credentials = core_client.update_node_client_credentials(node.id, secret="a-new-secret")

    assert last_body(fake_hub, f"/core/nodes/{node.id}/client/credentials") == {"secret": "a-new-secret"}
    assert credentials.secret == "a-new-secret"


def test_node_client_credentials_unknown_node(core_client):
    assert core_client.get_node_client_credentials(UNKNOWN_ID) is None


def test_node_registry_credentials_without_registry(core_client, node):
    with pytest.raises(flame_hub.BadRequest, match="registry"):
        core_client.get_node_registry_credentials(node)


# --- master images -------------------------------------------------------------------------------------


def test_sync_master_images(fake_hub, core_client):
    assert core_client.sync_master_images() is None

    request = fake_hub.requests_to("/core/master-images/command", "POST")[-1]
    assert request.body == {"command": "sync"}
    assert request.status == 202


def test_build_master_image(fake_hub, core_client):
    image = core_client.get_master_images()[0]

    core_client.build_master_image(image.id)

    assert last_body(fake_hub, "/core/master-images/command") == {"command": "build", "id": image.id}
    assert core_client.get_master_image(image).build_status == "starting"


# --- analyses ---------------------------------------------------------------------------------------------


def test_send_analysis_command(fake_hub, core_client, analysis):
    result = core_client.send_analysis_command(analysis.id, "storageCheck")

    assert result is analysis
    assert last_body(fake_hub, f"/core/analyses/{analysis.id}/command") == {"command": "storageCheck"}


def test_send_analysis_command_unknown(fake_hub, core_client, analysis):
    fake_hub.clear_requests()

    with pytest.raises(ValueError, match="buildStart"):
        core_client.send_analysis_command(analysis, "launch")
    assert fake_hub.requests_to("/core/analyses/*/command") == []


def test_analysis_client_credentials(fake_hub, core_client, analysis):
    credentials = core_client.get_analysis_client_credentials(analysis)
    assert credentials is not None
    assert credentials.id == analysis.client_id

    updated = core_client.update_analysis_client_credentials(analysis, secret="another-secret")
    assert last_body(fake_hub, f"/core/analyses/{analysis.id}/client/credentials") == {"secret": "another-secret"}
    assert updated.secret == "another-secret"


# --- registries -----------------------------------------------------------------------------------------


def test_send_registry_command(fake_hub, core_client):
    registry = core_client.create_registry("action-registry", "harbor.example.org")

    assert core_client.send_registry_command(registry, "setup") is None

    request = logged_request(fake_hub, "/core/services/registry/command", "POST")
    assert request.body == {"command": "setup", "id": registry.id}
    assert request.status == 202


# --- logs -------------------------------------------------------------------------------------------------


def test_analysis_node_logs(fake_hub, core_client, analysis, node):
    log = core_client.create_analysis_node_log(analysis, node, "info", "hello world")
    assert log.message == "hello world"
    assert last_body(fake_hub, "/core/analysis-node-logs") == {
        "analysisId": analysis.id,
        "nodeId": node.id,
        "level": "info",
        "message": "hello world",
    }

    found = core_client.find_analysis_node_logs(filter={"analysis_id": analysis, "node_id": node})
    assert [record.message for record in found] == ["hello world"]
    assert [record.message for record in core_client.find_analysis_logs(filter={"analysis_id": analysis})] == [
        "hello world"
    ]

    core_client.delete_analysis_node_logs(analysis, node)
    delete = logged_request(fake_hub, "/core/analysis-node-logs", "DELETE")
    assert delete.query_params == [("filter[analysisId]", analysis.id), ("filter[nodeId]", node.id)]
    assert core_client.find_analysis_node_logs(filter={"analysis_id": analysis, "node_id": node}) == []


def test_delete_analysis_logs(fake_hub, core_client, analysis):
    core_client.delete_analysis_logs(analysis.id)

    delete = logged_request(fake_hub, "/core/analysis-logs", "DELETE")
    assert delete.query_params == [("filter[analysisId]", analysis.id)]
    assert delete.status == 202
    assert fake_hub.requests_to("/core/analysis-logs", "GET") == []


def test_logs_need_their_filters(core_client):
    with pytest.raises(ValueError, match="analysis_id"):
        core_client.find_analysis_logs()


# --- storage ---------------------------------------------------------------------------------------------


def test_upload_to_bucket(fake_hub, storage_client):
    bucket = storage_client.create_bucket("upload-bucket")

    files = storage_client.upload_to_bucket(
        bucket,
        {"file_name": "notes.txt", "content": "hello"},
        {"file_name": "data/raw.bin", "content": io.BytesIO(b"\x00\x01"), "content_type": "application/x-raw"},
    )

    assert [type(file) for file in files] == [BucketFile, BucketFile]
    assert sorted(file.path for file in files) == ["data/raw.bin", "notes.txt"]
    body = fake_hub.requests_to(f"/storage/buckets/{bucket.id}/upload", "POST")[-1].body
    assert b'filename="notes.txt"' in body
    assert b"Content-Type: application/octet-stream" in body
    assert b"Content-Type: application/x-raw" in body


def test_upload_rejects_bad_item(storage_client):
    bucket = storage_client.create_bucket("upload-bad")

    with pytest.raises(TypeError, match="file_name"):
        storage_client.upload_to_bucket(bucket, {"name": "x.txt", "content": b"x"})


def test_stream_bucket_file_chunks(storage_client):
    bucket = storage_client.create_bucket("stream-bucket")
    uploaded = storage_client.upload_to_bucket(bucket, {"file_name": "a.txt", "content": b"hello"})[0]

    chunks = list(storage_client.stream_bucket_file(uploaded, chunk_size=2))

    assert b"".join(chunks) == b"hello"
    assert max(len(chunk) for chunk in chunks) <= 2


def test_stream_bucket_tarball(storage_client):
    bucket = storage_client.create_bucket("tar-bucket")
    storage_client.upload_to_bucket(
        bucket, {"file_name": "a.txt", "content": b"first"}, {"file_name": "dir/b.txt", "content": b"second"}
    )

    archive = b"".join(storage_client.stream_bucket_tarball(bucket.id))

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        assert sorted(tar.getnames()) == ["a.txt", "dir/b.txt"]
        member = tar.extractfile("dir/b.txt")
        assert member is not None
        assert member.read() == b"second"


def test_stream_unknown_file_raises(storage_client):
    with pytest.raises(flame_hub.NotFound):
        list(storage_client.stream_bucket_file(str(uuid.uuid4())))


def test_action_by_id_leaves_no_blank_record(fake_hub):
    auth = flame_hub.auth.PasswordAuth(username="admin", password="start123")
    with flame_hub.Session(fake_hub.url, auth=auth, cache_ttl=60) as session:
        core_client = CoreClient(session=session)
        registry = core_client.create_registry("cached-registry", "harbor.example.org")
        session.clear()

        core_client.send_registry_command(registry.id, "setup")
        fetched = Registry.objects.using(session).get(id=registry.id)

        assert fetched.name == "cached-registry"
        assert fetched.host == "harbor.example.org"
