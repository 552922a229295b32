"""Misspelt attributes, repeated deletes and missing required fields get messages that say what to do."""

from __future__ import annotations

import pytest

from flame_hub.models import Analysis, Node, Realm, RelationNotLoaded


@pytest.fixture
def node(hub_session):
    return Node.objects.create(name="attr-node", realm=Realm.objects.get(name="master"))


def test_misspelt_read_suggests_field(node):
    with pytest.raises(AttributeError) as info:
        _ = node.hiden

    assert "Did you mean 'hidden'?" in str(info.value)
    assert "'hiden'" in str(info.value)


def test_misspelt_write_suggests_field(node):
    with pytest.raises(AttributeError) as info:
        node.hiden = True

    assert "Did you mean 'hidden'?" in str(info.value)


def test_unknown_read_lists_fields(node):
    with pytest.raises(AttributeError) as info:
        _ = node.colour

    assert "Did you mean" not in str(info.value)
    assert "realm_id" in str(info.value)


def test_hasattr_unknown_false(node):
    assert not hasattr(node, "hiden")
    assert hasattr(node, "hidden")


def test_unloaded_relation_error_kept(fake_hub, node):
    import flame_hub
    from flame_hub.auth import PasswordAuth

    with flame_hub.Session(fake_hub.url, auth=PasswordAuth("admin", "start123"), lazy="raise") as strict:
        loaded = Node.objects.using(strict).get(node.id)
        with pytest.raises(RelationNotLoaded) as info:
            _ = loaded.realm

    assert "lazy='raise'" in str(info.value)


def test_delete_twice_says_deleted(node):
    node.delete()

    with pytest.raises(ValueError) as info:
        node.delete()

    assert "already deleted" in str(info.value)
    assert "save()" not in str(info.value)


def test_missing_required_field_wording(hub_session):
    with pytest.raises(ValueError) as info:
        Analysis(name="no-project").save()

    assert "Cannot create an Analysis without project_id; set it first." in str(info.value)
