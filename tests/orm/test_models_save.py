"""Active record over HTTP: save() as create or update, dirty tracking, delete(), refresh() and create()."""

import copy

import pytest
from _orm_helpers import logged, make_session

from flame_hub import errors
from flame_hub.models import Analysis, Bucket, IgnoredFieldWarning, Node, Project, Realm, User
from flame_hub.models._base import UnsupportedOperation
from flame_hub.types import NodeType


@pytest.fixture
def session(fake_hub):
    with make_session(fake_hub) as hub_session:
        yield hub_session


def test_save_creates(fake_hub, session):
    node = Node(name="lab-1", hidden=True)
    node.save(using=session)

    [request] = logged(fake_hub, "/core/nodes", "POST")
    assert request.body == {"name": "lab-1", "hidden": True}
    assert request.status == 201
    assert node.id is not None
    assert node.is_saved
    assert node.created_at is not None
    assert node.changed_fields() == []


def test_save_sends_changed_fields_only(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1", external_name="ext-1")
    node.hidden = True
    node.save()

    [request] = logged(fake_hub, f"/core/nodes/{node.id}", "POST")
    assert request.body == {"hidden": True}
    assert request.status == 202
    assert node.changed_fields() == []


def test_save_without_changes_sends_nothing(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    node.save()
    assert logged(fake_hub, f"/core/nodes/{node.id}", "POST", count=0) == []


def test_none_sent_only_when_set(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1", external_name="ext-1")
    node.external_name = None
    node.save()

    [request] = logged(fake_hub, f"/core/nodes/{node.id}", "POST")
    assert request.body == {"externalName": None}
    assert node.external_name is None


def test_create_omits_unset_none(fake_hub, session):
    Node(name="lab-1").save(using=session)
    [request] = logged(fake_hub, "/core/nodes", "POST")
    assert "externalName" not in request.body
    assert "publicKey" not in request.body


def test_nested_list_change_detected(fake_hub, session):
    project = Project.objects.using(session).create(name="proj-1")
    analysis = Analysis.objects.using(session).create(
        project=project, image_command_arguments=[{"value": "--flag", "position": "after"}]
    )
    analysis.image_command_arguments.append({"value": "--other", "position": "before"})
    assert analysis.changed_fields() == ["image_command_arguments"]
    analysis.save()

    [request] = logged(fake_hub, f"/core/analyses/{analysis.id}", "POST")
    assert request.body == {
        "imageCommandArguments": [
            {"value": "--flag", "position": "after"},
            {"value": "--other", "position": "before"},
        ]
    }


def test_loaded_object_tracks_changes(fake_hub, session):
    created = Node.objects.using(session).create(name="lab-1", external_name="ext-1")
    session.clear()
    [node] = Node.objects.using(session).filter(name="lab-1")
    assert node is not created
    assert node.changed_fields() == []

    node.external_name = "ext-2"
    node.hidden = True
    assert node.changed_fields() == ["external_name", "hidden"]
    node.external_name = "ext-1"
    assert node.changed_fields() == ["hidden"]

    node.save()
    [request] = logged(fake_hub, f"/core/nodes/{node.id}", "POST")
    assert request.body == {"hidden": True}
    assert node.changed_fields() == []


def test_model_copy_tracks_its_changes(session):
    Node.objects.using(session).create(name="lab-1")
    session.clear()
    node = Node.objects.using(session).get(name="lab-1")

    copied = node.model_copy(update={"hidden": True})
    assert copied.changed_fields() == ["hidden"]
    copied.external_name = "ext-2"
    assert copied.changed_fields() == ["external_name", "hidden"]
    assert node.changed_fields() == []
    assert node.hidden is False


def test_update_fields_limits_body(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    node.hidden = True
    node.type = NodeType.AGGREGATOR
    node.save(update_fields=["type"])

    [request] = logged(fake_hub, f"/core/nodes/{node.id}", "POST")
    assert request.body == {"type": "aggregator"}
    assert node.changed_fields() == []
    assert node.hidden is False


def test_update_fields_unknown_name(session):
    node = Node.objects.using(session).create(name="lab-1")
    with pytest.raises(ValueError, match="no field 'colour'"):
        node.save(update_fields=["colour"])


def test_failed_save_keeps_changes(fake_hub, session):
    Node.objects.using(session).create(name="lab-taken")
    node = Node.objects.using(session).create(name="lab-1")
    node.name = "lab-taken"
    node.hidden = True

    with pytest.raises(errors.Conflict):
        node.save()
    assert sorted(node.changed_fields()) == ["hidden", "name"]
    assert node.name == "lab-taken"


def test_failed_create_keeps_object_unsaved(session):
    Node.objects.using(session).create(name="lab-taken")
    node = Node(name="lab-taken")
    with pytest.raises(errors.Conflict):
        node.save(using=session)
    assert not node.is_saved
    assert node.id is None


def test_required_fields_checked_before_request(fake_hub, session):
    with pytest.raises(ValueError, match="without name"):
        Node(hidden=True).save(using=session)
    assert logged(fake_hub, "/core/nodes", "POST", count=0) == []


def test_ignored_value_warns(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    node.public_key = "not hex text"
    with pytest.warns(IgnoredFieldWarning, match="public_key"):
        node.save()
    assert node.public_key == b"not hex text".hex()


def test_slug_rewrite_does_not_warn(session, recwarn):
    project = Project.objects.using(session).create(name="proj-1")
    project.name = "Proj-Two"
    project.save()
    assert project.name == "proj-two"
    assert not [w for w in recwarn if issubclass(w.category, IgnoredFieldWarning)]


def test_delete(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    node.delete()

    [request] = logged(fake_hub, f"/core/nodes/{node.id}", "DELETE")
    assert request.status == 202
    assert not node.is_saved
    assert "(deleted)" in repr(node)
    with pytest.raises(Node.DoesNotExist):
        Node.objects.using(session).get(id=node.id)


def test_save_after_delete_rejected(session):
    node = Node.objects.using(session).create(name="lab-1")
    node.delete()
    with pytest.raises(errors.HubError, match="was deleted"):
        node.save()


def test_refresh_in_place(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    other = make_session(fake_hub)
    copy = Node.objects.using(other).get(id=node.id)
    copy.hidden = True
    copy.save()

    node.name = "unsaved-name"
    node.refresh()
    assert node.hidden is True
    assert node.name == "lab-1"
    assert node.changed_fields() == []
    other.close()


def test_refresh_unsaved_rejected():
    with pytest.raises(ValueError, match="needs a saved Node"):
        Node(name="lab-1").refresh()


def test_objects_create(fake_hub, session):
    realm = Realm.objects.using(session).create(name="lab-realm", display_name="Lab realm")
    [request] = logged(fake_hub, "/auth/realms", "POST")
    assert request.body == {"name": "lab-realm", "displayName": "Lab realm"}
    assert realm.id is not None


def test_relation_object_in_constructor(fake_hub, session):
    realm = Realm.objects.using(session).get(name="master")
    node = Node(name="lab-1", realm=realm)
    node.save(using=session)
    [request] = logged(fake_hub, "/core/nodes", "POST")
    assert request.body == {"name": "lab-1", "realmId": realm.id}
    assert node.realm is realm


def test_user_password_not_in_repr_after_create(session):
    user = User.objects.using(session).create(name="alice", email="alice@example.org", password="Secret-pass-1")
    assert "Secret-pass-1" not in repr(user)
    assert "$2" not in repr(user)


def test_bucket_fields_create_only(session):
    bucket = Bucket.objects.using(session).create(name="bucket-1")
    with pytest.raises(AttributeError, match="can only be set when the record is created"):
        bucket.name = "bucket-2"
    assert not Bucket._meta.supports("update")


def test_unsupported_operation_raises(session):
    from flame_hub.models import BucketFile

    with pytest.raises(UnsupportedOperation, match="does not support 'create' for BucketFile"):
        BucketFile.objects.using(session).create()


def test_default_session_used(fake_hub):
    with make_session(fake_hub) as hub_session, hub_session.activate():
        node = Node(name="lab-1")
        node.save()
        assert node._session is hub_session
        assert Node.objects.get(id=node.id) is node


def test_null_keys_added_by_hub_do_not_warn(session, recwarn):
    project = Project.objects.using(session).create(name="proj-1")
    analysis = Analysis.objects.using(session).create(project=project)
    analysis.image_command_arguments = [{"value": "--flag"}]
    analysis.save()
    assert not [w for w in recwarn if issubclass(w.category, IgnoredFieldWarning)]


def test_password_update_does_not_warn(fake_hub, session, recwarn):
    user = User.objects.using(session).create(name="alice", email="alice@example.org", password="Secret-pass-1")
    user.password = "Secret-pass-2"
    user.save()
    assert logged(fake_hub, f"/auth/users/{user.id}", "POST")[-1].body == {"password": "Secret-pass-2"}
    assert not [w for w in recwarn if issubclass(w.category, IgnoredFieldWarning)]


def test_normalized_host_does_not_warn(session, recwarn):
    from flame_hub.models import Registry

    registry = Registry.objects.using(session).create(name="reg-1", host="reg-1.example.org")
    registry.host = "https://reg-2.example.org:8443/"
    registry.save()
    assert registry.host == "reg-2.example.org"
    assert not [w for w in recwarn if issubclass(w.category, IgnoredFieldWarning)]


def test_deep_copy_shares_session(session):
    node = Node.objects.using(session).create(name="lab-1")

    for copied in (copy.deepcopy(node), node.model_copy(deep=True)):
        assert copied is not node
        assert copied.name == "lab-1"
        assert copied._session is session
        copied.hidden = True
        assert copied.changed_fields() == ["hidden"]
        assert node.changed_fields() == []


def test_loaded_nodes_share_fields_set(fake_hub, session):
    for name in ("lab-1", "lab-2"):
        Node.objects.using(session).create(name=name)
    session.clear()

    first, second = Node.objects.using(session).order_by("name")
    assert first.model_fields_set is second.model_fields_set
    assert first.model_fields_set == set(Node.model_fields)
    assert first.model_dump(exclude_unset=True)["name"] == "lab-1"

    # Assigning a field adds a name that is already in the set, so the other object is unaffected.
    first.hidden = True
    assert first.changed_fields() == ["hidden"]
    assert second.changed_fields() == []
    first.save()
    [request] = logged(fake_hub, f"/core/nodes/{first.id}", "POST")
    assert request.body == {"hidden": True}


def test_shared_fields_set_rejects_changes(session):
    Node.objects.using(session).create(name="lab-1")
    session.clear()
    node = Node.objects.using(session).get(name="lab-1")

    with pytest.raises(TypeError, match=r"loaded Node .* copy instead: set\(obj.model_fields_set\)"):
        node.model_fields_set.discard("name")
    with pytest.raises(TypeError, match="loaded Node"):
        node.model_fields_set.add("not_a_field")
    # Changes that leave the set as it is are allowed.
    node.model_fields_set.discard("not_a_field")
    node.model_fields_set.add("name")
    assert "name" in node.model_fields_set

    renamed = node.model_copy(update={"name": "lab-2"})
    assert type(renamed.model_fields_set) is set
    assert renamed.name == "lab-2"
    assert node.name == "lab-1"
    for copied in (copy.copy(node), copy.deepcopy(node)):
        assert type(copied.model_fields_set) is set
        copied.model_fields_set.discard("name")
    assert "name" in node.model_fields_set


def record_without_public_key(session, record_id):
    """Return a node record as the Hub sends it, without ``publicKey`` and with another id."""
    Node.objects.using(session).create(name="lab-1")
    session.clear()
    loaded = Node.objects.using(session).get(name="lab-1")
    record = {key: value for key, value in loaded.model_dump(by_alias=True).items() if key != "publicKey"}
    record["id"] = record_id
    return record


def test_partial_record_owns_fields_set(session):
    payload = record_without_public_key(session, "8c1b7f3e-2f44-4d0e-9a35-6f5b0c3d9e21")

    partial = Node._from_hub(payload, session)
    assert type(partial.model_fields_set) is set
    assert "public_key" not in partial.model_fields_set


def test_unknown_key_not_counted_as_field(session):
    payload = record_without_public_key(session, "0d7e4c2a-6b1f-4f3e-8a59-3c2b1e0f9d84")
    payload["keyOfANewerHub"] = "x"

    partial = Node._from_hub(payload, session)
    assert type(partial.model_fields_set) is set
    assert "public_key" not in partial.model_fields_set
    assert "public_key" not in partial.model_dump(exclude_unset=True)
    assert partial.model_extra == {"keyOfANewerHub": "x"}


def test_reread_record_with_unknown_key(fake_hub, session):
    Node.objects.using(session).create(name="lab-1")
    session.clear()
    node = Node.objects.using(session).get(name="lab-1")
    record = node.model_dump(by_alias=True, mode="json")
    record["keyOfANewerHub"] = "x"
    fake_hub.add_fault("GET", f"/core/nodes/{node.id}", status=200, body={"data": record})
    fake_hub.add_fault("GET", "/core/nodes", status=200, body={"data": [record], "meta": {"total": 1}})

    node.refresh()
    [listed] = Node.objects.using(session).all()

    assert listed is node
    assert node.model_extra == {"keyOfANewerHub": "x"}
    assert "keyOfANewerHub" in node.model_fields_set
    assert node.name == "lab-1"
