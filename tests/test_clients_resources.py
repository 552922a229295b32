"""Create and update calls of the functional clients for each resource, in the official argument order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import flame_hub
from flame_hub import AuthClient, CoreClient, StorageClient
from flame_hub.models import AnalysisBucketFile, RegistryProject, RolePermission, UserRole


@pytest.fixture
def clients(fake_hub) -> Iterator[tuple[AuthClient, CoreClient, StorageClient]]:
    auth = flame_hub.auth.PasswordAuth(username="admin", password="start123", base_url=fake_hub.auth_url)
    opened = (
        AuthClient(base_url=fake_hub.auth_url, auth=auth),
        CoreClient(base_url=fake_hub.core_url, auth=auth),
        StorageClient(base_url=fake_hub.storage_url, auth=auth),
    )
    yield opened
    for client in opened:
        client.close()


def last_body(hub, path: str, method: str = "POST") -> Any:
    return hub.requests_to(path, method)[-1].body


def test_role_and_permission_links(fake_hub, clients):
    auth_client = clients[0]
    realm = auth_client.find_realms(filter={"name": "master"})[0]

    role = auth_client.create_role("facade-role", "Facade role", "a role for tests")
    assert last_body(fake_hub, "/auth/roles") == {
        "name": "facade-role",
        "displayName": "Facade role",
        "description": "a role for tests",
    }
    permission = auth_client.create_permission("facade_permission", realm_id=realm)
    assert last_body(fake_hub, "/auth/permissions") == {"name": "facade_permission", "realmId": realm.id}

    link = auth_client.create_role_permission(role, permission)
    assert isinstance(link, RolePermission)
    assert last_body(fake_hub, "/auth/role-permissions") == {"roleId": role.id, "permissionId": permission.id}
    assert [found.id for found in auth_client.find_role_permissions(filter={"role_id": role})] == [link.id]

    auth_client.delete_role_permission(link)
    assert auth_client.get_role_permission(link.id) is None


def test_user_role_link(fake_hub, clients):
    auth_client = clients[0]
    role = auth_client.create_role("linked-role")
    user = auth_client.create_user("linked-user", "linked-user@example.com")

    link = auth_client.create_user_role(user, role)

    assert isinstance(link, UserRole)
    assert last_body(fake_hub, "/auth/user-roles") == {"userId": user.id, "roleId": role.id}
    assert auth_client.get_user_role(link.id) is link


def test_user_update(fake_hub, clients):
    auth_client = clients[0]
    user = auth_client.create_user("updated-user", "updated-user@example.com")

    auth_client.update_user(user, first_name="Ada")

    assert last_body(fake_hub, f"/auth/users/{user.id}") == {"firstName": "Ada"}
    assert user.first_name == "Ada"


def test_client_create_drops_ignored_fields(fake_hub, clients):
    auth_client = clients[0]
    realm = auth_client.find_realms(filter={"name": "master"})[0]

    client = auth_client.create_client("facade-client", realm)

    assert last_body(fake_hub, "/auth/clients") == {
        "name": "facade-client",
        "realmId": realm.id,
        "active": True,
        "authMethod": "secret",
        "tokenBindingMethod": "none",
    }
    assert auth_client.get_client(client, fields="secret").secret


def test_client_create_warns_on_ignored_argument(fake_hub, clients):
    auth_client = clients[0]
    realm = auth_client.find_realms(filter={"name": "master"})[0]

    with pytest.warns(flame_hub.models.IgnoredFieldWarning, match="is_confidential"):
        auth_client.create_client("confidential-client", realm, is_confidential=False)

    assert "isConfidential" not in last_body(fake_hub, "/auth/clients")


def test_registry_and_project(fake_hub, clients):
    core_client = clients[1]
    registry = core_client.create_registry("facade-registry", "harbor.example.org", "robot", "secret-value")
    assert last_body(fake_hub, "/core/registries") == {
        "name": "facade-registry",
        "host": "harbor.example.org",
        "accountName": "robot",
        "accountSecret": "secret-value",
    }
    assert core_client.get_registry(registry, fields="account_secret").account_secret == "secret-value"

    project = core_client.create_registry_project("facade-project", "default", registry, "facade-external")
    assert isinstance(project, RegistryProject)
    assert last_body(fake_hub, "/core/registry-projects") == {
        "name": "facade-project",
        "type": "default",
        "registryId": registry.id,
        "externalName": "facade-external",
    }

    core_client.update_registry_project(project, external_name="other-external")
    assert last_body(fake_hub, f"/core/registry-projects/{project.id}") == {"externalName": "other-external"}


def test_project_positional_arguments(fake_hub, clients):
    core_client = clients[1]
    image = core_client.get_master_images()[0]

    project = core_client.create_project("facade-positional", "Facade project", image, "a project")

    assert last_body(fake_hub, "/core/projects") == {
        "name": "facade-positional",
        "displayName": "Facade project",
        "masterImageId": image.id,
        "description": "a project",
    }
    assert project.master_image is image


def test_analysis_buckets_and_files(fake_hub, clients):
    _, core_client, storage_client = clients
    project = core_client.create_project("bucket-project")
    analysis = core_client.create_analysis(project, "bucket-analysis")
    bucket = storage_client.create_bucket("analysis-code")
    uploaded = storage_client.upload_to_bucket(bucket, {"file_name": "main.py", "content": b"print(1)"})[0]

    analysis_bucket = core_client.create_analysis_bucket("CODE", bucket, analysis)
    assert last_body(fake_hub, "/core/analysis-buckets") == {
        "type": "CODE",
        "bucketId": bucket.id,
        "analysisId": analysis.id,
    }

    entry = core_client.create_analysis_bucket_file("main.py", uploaded, bucket, analysis_bucket, is_entrypoint=True)
    assert isinstance(entry, AnalysisBucketFile)
    assert last_body(fake_hub, "/core/analysis-bucket-files") == {
        "path": "main.py",
        "bucketFileId": uploaded.id,
        "bucketId": bucket.id,
        "analysisBucketId": analysis_bucket.id,
        "root": True,
    }

    core_client.update_analysis_bucket_file(entry, is_entrypoint=False)
    assert last_body(fake_hub, f"/core/analysis-bucket-files/{entry.id}") == {"root": False}
    assert entry.root is False


def test_analysis_update(fake_hub, clients):
    core_client = clients[1]
    project = core_client.create_project("update-project")
    analysis = core_client.create_analysis(project, "update-analysis")

    core_client.update_analysis(analysis, description="new description")

    assert last_body(fake_hub, f"/core/analyses/{analysis.id}") == {"description": "new description"}
    assert core_client.get_analysis(analysis.id).description == "new description"
