"""Records the Hub sends with null, absent or unexpected values, and the fields the ORM sends back."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from _reliability_helpers import admin_session, logged

from flame_hub.models import Analysis, Bucket, BucketFile, Client, Node, Project, RegistryProject, User

RECORD_ID = "6f1c3a52-8f0e-4d1b-9a55-1b2f1c0de004"


@pytest.mark.parametrize(
    ("model", "record"),
    [
        (Node, {"clientId": None, "robotId": None, "registryId": None, "realmId": None}),
        (Bucket, {"actorId": None, "actorType": None, "realmId": None}),
        (BucketFile, {"actorId": None, "actorType": None, "bucketId": None}),
        (Project, {"clientId": None, "robotId": None, "userId": None}),
    ],
    ids=["node", "bucket", "bucket-file", "project"],
)
def test_null_actor_fields_parse(model: Any, record: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        obj = model._from_hub({"id": RECORD_ID, **record}, None)

    names = {model._meta.wire_name(name): name for name in model.model_fields}
    for key in record:
        assert getattr(obj, names[key]) is None


def test_client_without_optional_keys() -> None:
    record = {"id": RECORD_ID, "name": "bare-client", "active": True}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client = Client._from_hub(record, None)

    assert client.secret is None
    assert client.model_extra == {}
    assert "isConfidential" not in repr(client)


def test_user_email_only_on_request(fake_hub: Any) -> None:
    fake_hub.create_user("mailed-user", "Mailed-pass-1234")
    with admin_session(fake_hub) as session:
        plain = User.objects.using(session).get(name="mailed-user")
        session.clear()
        with_email = User.objects.using(session).fields("email").get(name="mailed-user")

    sent = logged(fake_hub, "/auth/users", "GET", 2)
    assert plain.email is None
    assert "fields" not in sent[0].query
    assert sent[1].query.count("fields=%2Bemail") == 1
    assert with_email.email is not None


@pytest.mark.parametrize(
    "arguments",
    [None, [], [{"value": "--flag"}], [{"value": "--flag", "position": None}]],
    ids=["null", "empty", "no-position", "null-position"],
)
def test_image_arguments_forms_parse(arguments: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        analysis = Analysis._from_hub({"id": RECORD_ID, "imageCommandArguments": arguments}, None)
        absent = Analysis._from_hub({"id": RECORD_ID}, None)

    assert analysis.image_command_arguments == arguments
    assert absent.image_command_arguments is None


def test_name_update_omits_image_arguments(fake_hub: Any) -> None:
    with admin_session(fake_hub) as session:
        project = Project.objects.using(session).create(name="argument-project")
        analysis = Analysis.objects.using(session).create(
            project=project, name="argument-analysis", image_command_arguments=[{"value": "--flag"}]
        )
        analysis.name = "renamed-analysis"
        analysis.save()

    update = logged(fake_hub, f"/core/analyses/{analysis.id}", "POST")[0]
    assert update.body == {"name": "renamed-analysis"}


@pytest.mark.parametrize("external_id", ["17", 17, None])
def test_registry_project_external_id_kept(external_id: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        project = RegistryProject._from_hub({"id": RECORD_ID, "externalId": external_id, "accountId": "5"}, None)

    assert project.external_id == external_id
    assert project.account_id == "5"
