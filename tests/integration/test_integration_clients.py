"""End-to-end runs of the functional clients and the ORM, against a real Hub or the fake one."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator

import pytest

import flame_hub
from flame_hub import AuthClient, CoreClient, StorageClient
from flame_hub.models import Node, Project, Realm

pytestmark = pytest.mark.integration


@pytest.fixture
def clients(hub_target) -> Iterator[tuple[AuthClient, CoreClient, StorageClient]]:
    auth = flame_hub.auth.PasswordAuth(hub_target.username, hub_target.password, base_url=hub_target.auth_url)
    with (
        AuthClient(base_url=hub_target.auth_url, auth=auth) as auth_client,
        CoreClient(base_url=hub_target.core_url, auth=auth) as core_client,
        StorageClient(base_url=hub_target.storage_url, auth=auth) as storage_client,
    ):
        yield auth_client, core_client, storage_client


@pytest.fixture
def session(hub_target) -> Iterator[flame_hub.Session]:
    auth = flame_hub.auth.PasswordAuth(hub_target.username, hub_target.password)
    with flame_hub.Session(hub_target.url, auth=auth) as opened:
        with opened.activate():
            yield opened


def test_official_quickstart(clients, unique_name):
    auth_client, core_client, _ = clients

    master_realms = auth_client.find_realms(filter={"name": "master"})
    assert len(master_realms) == 1
    master_realm = master_realms.pop()

    node = core_client.create_node(name=unique_name, realm_id=master_realm)
    try:
        assert node.realm_id == master_realm.id
        assert node.hidden is False

        core_client.update_node(node, hidden=True)
        fetched = core_client.get_node(node.id)
        assert fetched is not None
        assert fetched.hidden is True
    finally:
        core_client.delete_node(node)

    assert core_client.get_node(node.id) is None


def test_orm_quickstart(session, unique_name):
    realm = Realm.objects.get(name="master")
    node = Node(name=unique_name, realm=realm)
    node.save()
    try:
        node.hidden = True
        node.save()
        node.refresh()
        assert node.hidden is True
        assert Node.objects.filter(name=unique_name).count() == 1
    finally:
        node.delete()

    assert Node.objects.get_or_none(id=node.id) is None


def test_project_with_node_and_analysis(clients, unique_name):
    auth_client, core_client, _ = clients
    realm = auth_client.find_realms(filter={"name": "master"})[0]
    node = core_client.create_node(name=f"{unique_name}-node", realm_id=realm)
    project = core_client.create_project(f"{unique_name}-project")
    try:
        project_node = core_client.create_project_node(project, node)
        found = core_client.find_project_nodes(filter={"project_id": project})
        assert [row.id for row in found] == [project_node.id]

        analysis = core_client.create_analysis(project, name=f"{unique_name}-analysis")
        try:
            analysis_node = core_client.create_analysis_node(analysis, node)
            assert analysis_node.analysis_id == analysis.id
            assert [row.id for row in core_client.find_analysis_nodes(filter={"analysis_id": analysis})] == [
                analysis_node.id
            ]
        finally:
            core_client.delete_analysis(analysis)
        core_client.delete_project_node(project_node)
    finally:
        core_client.delete_project(project)
        core_client.delete_node(node)

    assert core_client.get_project(project.id) is None


def test_bucket_upload_and_streams(clients, unique_name):
    _, _, storage_client = clients
    bucket = storage_client.create_bucket(unique_name)
    try:
        uploaded = storage_client.upload_to_bucket(bucket, {"file_name": "hello.txt", "content": b"hello, hub"})
        assert [file.path for file in uploaded] == ["hello.txt"]

        content = b"".join(storage_client.stream_bucket_file(uploaded[0], chunk_size=4))
        assert content == b"hello, hub"

        archive = b"".join(storage_client.stream_bucket_tarball(bucket))
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            assert tar.getnames() == ["hello.txt"]
    finally:
        for file in storage_client.find_bucket_files(filter={"bucket_id": bucket}):
            storage_client.delete_bucket_file(file)
        storage_client.delete_bucket(bucket)


def test_orm_and_clients_share_records(clients, session, unique_name):
    _, core_client, _ = clients
    project = Project(name=unique_name)
    project.save()
    try:
        fetched = core_client.get_project(project.id)
        assert fetched is not None
        assert fetched.name == project.name
        assert fetched is not project  # each client has its own Session and identity map
    finally:
        project.delete()
