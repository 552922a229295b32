"""Errors the Hub returns for missing permissions, missing records and refused commands, as the ORM raises them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from _reliability_helpers import admin_session, logged

import flame_hub
from flame_hub import errors
from flame_hub.auth import PasswordAuth
from flame_hub.models import Analysis, AnalysisBucketFile, Node, Project, Registry

OTHER_PASSWORD = "Other-pass-1234"


def test_other_realm_node_create_denied(fake_hub: Any) -> None:
    realm = fake_hub.create_realm("research")
    fake_hub.create_user("outsider", OTHER_PASSWORD, realm="research")
    with admin_session(fake_hub) as admin:
        master = admin.request_json("auth", "GET", "realms", params=[("filter[name]", "master")])["data"][0]

    auth = PasswordAuth("outsider", OTHER_PASSWORD, realm=realm["name"])
    with flame_hub.Session(fake_hub.url, auth=auth, retries=0) as session:
        with pytest.raises(errors.PermissionDenied) as info:
            Node(name="foreign-node", realm_id=master["id"]).save(using=session)

    # The core service responds to a missing permission with 400 and a permission issue.
    assert info.value.status_code == 400
    assert any(issue.get("code") == "permission_not_found" for issue in info.value.issues)


def test_hidden_secret_as_non_admin_denied(fake_hub: Any) -> None:
    fake_hub.create_user("reader", OTHER_PASSWORD)
    with admin_session(fake_hub) as admin:
        registry = Registry.objects.using(admin).create(
            name="secret-registry", host="registry.example.org", account_name="robot", account_secret="robot-secret-1"
        )

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth("reader", OTHER_PASSWORD), retries=0) as session:
        plain = Registry.objects.using(session).get(registry.id)
        with pytest.raises(errors.PermissionDenied):
            Registry.objects.using(session).fields("account_secret").get(registry.id)

    # The secret is requested only with fields(), so a plain read works for the same user.
    assert plain.account_secret is None
    plain_reads = logged(fake_hub, f"/core/registries/{registry.id}", "GET", 2)
    assert "accountSecret" not in plain_reads[0].query


def test_route_404_is_not_missing_record(fake_hub: Any) -> None:
    node_id = str(uuid.uuid4())
    fake_hub.add_fault("GET", f"/core/nodes/{node_id}", status=404, body={"status": 404, "message": "Not Found"})

    with admin_session(fake_hub) as session:
        with pytest.raises(errors.NotFound) as info:
            Node.objects.using(session).get_or_none(node_id)

    assert not isinstance(info.value, errors.ObjectDoesNotExist)
    assert info.value.code == "not_found"


def test_missing_record_is_does_not_exist(fake_hub: Any) -> None:
    node_id = str(uuid.uuid4())

    with admin_session(fake_hub) as session:
        missing = Node.objects.using(session).get_or_none(node_id)
        with pytest.raises(Node.DoesNotExist) as info:
            Node.objects.using(session).get(node_id)

    assert missing is None
    assert info.value.code == "entity_not_found"


def test_server_error_on_get_is_raised(fake_hub: Any) -> None:
    fake_hub.add_fault("GET", "/core/analysis-bucket-files/*", status=500, times=10)

    with admin_session(fake_hub) as session:
        with pytest.raises(errors.ServerError):
            AnalysisBucketFile.objects.using(session).get_or_none(str(uuid.uuid4()))


def test_refused_command_typed_error(fake_hub: Any) -> None:
    with admin_session(fake_hub) as session:
        project = Project.objects.using(session).create(name="command-project")
        analysis = Analysis.objects.using(session).create(project=project, name="command-analysis")

        with pytest.raises(errors.BadRequest) as info:
            analysis.build_start()

    assert info.value.status_code == 400
    assert info.value.code == "ANALYSIS_ERROR"
    assert "locked" in info.value.message
    assert info.value.message in str(info.value)


def test_unknown_error_code_maps_by_status(fake_hub: Any) -> None:
    body = {"statusCode": 409, "code": "something_new", "message": "A new kind of conflict.", "issues": []}
    fake_hub.add_fault("POST", "/core/nodes", status=409, body=body)

    with admin_session(fake_hub) as session:
        with pytest.raises(errors.Conflict) as info:
            Node(name="conflicting-node").save(using=session)

    assert info.value.code == "something_new"
    assert info.value.message == "A new kind of conflict."
