"""Creates, updates and deletes whose responses vary: 200, 201 or 202, with a record, without one, or null."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from _reliability_helpers import admin_session, logged

import flame_hub
from flame_hub import errors
from flame_hub.auth import ClientAuth
from flame_hub.models import Client, IgnoredFieldWarning, Node
from flame_hub.types import ClientAuthMethod

NODE_ID = "6f1c3a52-8f0e-4d1b-9a55-1b2f1c0de001"
REALM_ID = "6f1c3a52-8f0e-4d1b-9a55-1b2f1c0de002"


def node_record(name: str) -> dict[str, Any]:
    return {"id": NODE_ID, "name": name, "hidden": False, "type": "default", "realmId": REALM_ID}


@pytest.mark.parametrize("status", [200, 201, 202])
@pytest.mark.parametrize("enveloped", [True, False], ids=["enveloped", "flat"])
def test_create_status_and_body_forms(fake_hub: Any, status: int, enveloped: bool) -> None:
    record = node_record("created-node")
    body = {"data": record, "meta": {}} if enveloped else record
    fake_hub.add_fault("POST", "/core/nodes", status=status, body=body)

    with admin_session(fake_hub) as session:
        node = Node(name="created-node")
        node.save(using=session)

    assert node.id == NODE_ID
    assert node.is_saved
    assert node.realm_id == REALM_ID


def test_create_without_body_raises_hub_error(fake_hub: Any) -> None:
    fake_hub.add_fault("POST", "/core/nodes", status=202, body=b"")

    with admin_session(fake_hub) as session:
        node = Node(name="bodiless-node")
        with pytest.raises(errors.HubError) as info:
            node.save(using=session)

    assert "returned no record" in str(info.value)
    assert not node.is_saved
    assert node.changed_fields() == ["name"]


def test_update_without_body_keeps_values(fake_hub: Any) -> None:
    fake_hub.add_fault("GET", f"/core/nodes/{NODE_ID}", status=200, body={"data": node_record("old-name")})
    fake_hub.add_fault("POST", f"/core/nodes/{NODE_ID}", status=202, body=b"")

    with admin_session(fake_hub) as session, warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredFieldWarning)
        node = Node.objects.using(session).get(NODE_ID)
        node.name = "new-name"
        node.save()

    sent = logged(fake_hub, f"/core/nodes/{NODE_ID}", "POST")
    assert sent[0].body == {"name": "new-name"}
    assert node.name == "new-name"
    assert node.changed_fields() == []


@pytest.mark.parametrize("body", [{"data": None}, b"", {"data": {"id": NODE_ID, "name": "gone"}, "meta": {}}])
def test_delete_response_forms(fake_hub: Any, body: Any) -> None:
    fake_hub.add_fault("GET", f"/core/nodes/{NODE_ID}", status=200, body={"data": node_record("doomed")})
    fake_hub.add_fault("DELETE", f"/core/nodes/{NODE_ID}", status=202, body=body)

    with admin_session(fake_hub) as session:
        node = Node.objects.using(session).get(NODE_ID)
        node.delete()

    assert not node.is_saved
    assert logged(fake_hub, f"/core/nodes/{NODE_ID}", "DELETE")[0].status == 202


def test_created_client_logs_in(fake_hub: Any) -> None:
    secret = "client-secret-123456"
    with admin_session(fake_hub) as session:
        client = Client.objects.using(session).create(name="robot-client", secret=secret)

    sent = logged(fake_hub, "/auth/clients", "POST")[0].body
    assert sent["authMethod"] == "secret"
    assert client.auth_method == ClientAuthMethod.SECRET

    with flame_hub.Session(fake_hub.url, auth=ClientAuth(client.id, secret), retries=0) as client_session:
        me = Client.objects.using(client_session).me()
    assert me.id == client.id


def test_public_client_on_request(fake_hub: Any) -> None:
    with admin_session(fake_hub) as session:
        client = Client.objects.using(session).create(name="public-client", auth_method="none")

    sent = logged(fake_hub, "/auth/clients", "POST")[0].body
    assert sent["authMethod"] == "none"
    assert client.auth_method == ClientAuthMethod.NONE
