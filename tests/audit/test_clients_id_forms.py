"""The functional clients take every id as a model object, a ``uuid.UUID`` or a string, for every operation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

import flame_hub
from flame_hub import CoreClient, StorageClient

ID_FORMS = {
    "object": lambda record: record,
    "uuid": lambda record: uuid.UUID(record.id),
    "string": lambda record: record.id,
    "upper-case string": lambda record: record.id.upper(),
}


@pytest.fixture
def auth(fake_hub) -> flame_hub.auth.PasswordAuth:
    return flame_hub.auth.PasswordAuth(username="admin", password="start123", base_url=fake_hub.auth_url)


@pytest.fixture
def core_client(fake_hub, auth) -> Iterator[CoreClient]:
    with CoreClient(base_url=fake_hub.core_url, auth=auth) as client:
        yield client


@pytest.fixture
def storage_client(fake_hub, auth) -> Iterator[StorageClient]:
    with StorageClient(base_url=fake_hub.storage_url, auth=auth) as client:
        yield client


@pytest.mark.parametrize("form", ID_FORMS)
def test_update_accepts_id_form(fake_hub, core_client, form):
    node = core_client.create_node(name=f"lab-{uuid.uuid4().hex[:6]}")

    updated = core_client.update_node(ID_FORMS[form](node), hidden=True)

    assert updated.hidden is True
    [request] = fake_hub.requests_to(f"/core/nodes/{node.id}", "POST")
    assert request.body == {"hidden": True}


@pytest.mark.parametrize("form", ID_FORMS)
def test_delete_accepts_id_form(fake_hub, core_client, form):
    node = core_client.create_node(name=f"lab-{uuid.uuid4().hex[:6]}")

    core_client.delete_node(ID_FORMS[form](node))

    assert len(fake_hub.requests_to(f"/core/nodes/{node.id}", "DELETE")) == 1
    assert core_client.get_node(node.id) is None


@pytest.mark.parametrize("form", ID_FORMS)
def test_special_methods_accept_id_form(fake_hub, core_client, storage_client, form):
    node = core_client.create_node(name=f"lab-{uuid.uuid4().hex[:6]}")
    bucket = storage_client.create_bucket(name=f"bucket-{uuid.uuid4().hex[:6]}")
    [bucket_file] = storage_client.upload_to_bucket(ID_FORMS[form](bucket), {"file_name": "a.txt", "content": b"abc"})

    credentials = core_client.get_node_client_credentials(ID_FORMS[form](node))
    content = b"".join(storage_client.stream_bucket_file(ID_FORMS[form](bucket_file)))

    assert credentials is not None
    assert credentials.id == node.client_id
    assert content == b"abc"
    assert len(fake_hub.requests_to(f"/core/nodes/{node.id}/client/credentials", "GET")) == 1


def test_relation_id_forms_in_create(fake_hub, core_client):
    project = core_client.create_project(name=f"proj-{uuid.uuid4().hex[:6]}")

    analyses = [core_client.create_analysis(ID_FORMS[form](project)) for form in ID_FORMS]

    assert {analysis.project_id for analysis in analyses} == {project.id}
    bodies = [request.body for request in fake_hub.requests_to("/core/analyses", "POST")]
    assert [body["projectId"] for body in bodies] == [project.id] * len(ID_FORMS)
