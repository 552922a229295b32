"""The identity map: one object per (model, id) and session, the TTL cache, and merging of later loads."""

import gc
import uuid

import pytest
from _orm_helpers import logged, make_session, settle

from flame_hub._identity import IdentityMap
from flame_hub.models import Node, Project, Realm

NODE_ID = "0dd7b864-98d0-4302-a601-bc4a6121cf14"


@pytest.fixture
def session(fake_hub):
    with make_session(fake_hub) as hub_session:
        yield hub_session


def count_gets(hub, path):
    settle(hub)
    return len(hub.requests_to(path, "GET"))


def test_same_object_per_id(session):
    node = Node.objects.using(session).create(name="lab-1")
    assert Node.objects.using(session).get(name="lab-1") is node
    assert list(Node.objects.using(session).filter(name="lab-1"))[0] is node


def test_sessions_do_not_share_objects(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    with make_session(fake_hub) as other:
        copy = Node.objects.using(other).get(id=node.id)
    assert copy is not node
    assert copy == node


def test_get_by_id_skips_request_while_fresh(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    before = count_gets(fake_hub, f"/core/nodes/{node.id}")
    assert Node.objects.using(session).get(id=node.id) is node
    assert Node.objects.using(session).get(node.id) is node
    assert count_gets(fake_hub, f"/core/nodes/{node.id}") == before


def test_cache_ttl_zero_always_requests(fake_hub):
    with make_session(fake_hub, cache_ttl=0) as uncached:
        node = Node.objects.using(uncached).create(name="lab-1")
        Node.objects.using(uncached).get(id=node.id)
        Node.objects.using(uncached).get(id=node.id)
        assert len(logged(fake_hub, f"/core/nodes/{node.id}", "GET", count=2)) == 2


def test_weakly_held_without_cache(fake_hub):
    with make_session(fake_hub, cache_ttl=0) as uncached:
        node = Node.objects.using(uncached).create(name="lab-1")
        node_id = node.id
        assert uncached.identity_map.get(Node, node_id) is node
        del node
        gc.collect()
        assert uncached.identity_map.get(Node, node_id) is None


def test_cache_keeps_recent_objects_alive(session):
    node_id = Node.objects.using(session).create(name="lab-1").id
    gc.collect()
    assert session.identity_map.get(Node, node_id) is not None


def test_later_query_updates_clean_fields(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    with make_session(fake_hub) as other:
        copy = Node.objects.using(other).get(id=node.id)
        copy.hidden = True
        copy.external_name = "ext-1"
        copy.save()

    node.external_name = "mine-1"
    loaded = Node.objects.using(session).get(name="lab-1")

    assert loaded is node
    assert node.hidden is True
    assert node.external_name == "mine-1"
    assert node.changed_fields() == ["external_name"]


def test_unsaved_change_sent_after_merge(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    node.external_name = "mine-1"
    list(Node.objects.using(session).filter(name="lab-1"))
    node.save()
    assert logged(fake_hub, f"/core/nodes/{node.id}", "POST")[-1].body == {"externalName": "mine-1"}


def test_expunge(fake_hub, session):
    node = Node.objects.using(session).create(name="lab-1")
    session.expunge(node)
    assert session.identity_map.get(Node, node.id) is None
    assert Node.objects.using(session).get(id=node.id) is not node


def test_clear(session):
    node = Node.objects.using(session).create(name="lab-1")
    project = Project.objects.using(session).create(name="proj-1")
    session.clear()
    assert session.identity_map.get(Node, node.id) is None
    assert session.identity_map.get(Project, project.id) is None


def test_map_add_returns_canonical():
    identity_map = IdentityMap(ttl=60, maxsize=10)
    first = Node._from_hub({"id": NODE_ID, "name": "lab-1"}, None)
    second = Node._from_hub({"id": NODE_ID, "name": "lab-2"}, None)
    assert identity_map.add(first) is first
    assert identity_map.add(second) is first
    assert identity_map.is_fresh(first) is False
    identity_map.touch(first)
    assert identity_map.is_fresh(first) is True
    assert first in identity_map


def test_map_ignores_unsaved():
    identity_map = IdentityMap(ttl=60, maxsize=10)
    node = Node(name="lab-1")
    assert identity_map.add(node) is node
    assert len(identity_map) == 0


def test_map_cache_is_bounded():
    identity_map = IdentityMap(ttl=60, maxsize=2)
    ids = [f"0dd7b864-98d0-4302-a601-bc4a6121cf1{index}" for index in range(3)]
    for node_id in ids:
        node = Node._from_hub({"id": node_id, "name": "lab-1"}, None)
        identity_map.add(node)
        identity_map.touch(node)
    del node
    gc.collect()
    assert identity_map.get(Node, ids[0]) is None
    assert identity_map.get(Node, ids[2]) is not None


def test_map_rejects_negative_ttl():
    with pytest.raises(ValueError, match="cache_ttl"):
        IdentityMap(ttl=-1, maxsize=10)


def test_map_same_id_other_model():
    identity_map = IdentityMap(ttl=60, maxsize=10)
    node = Node._from_hub({"id": NODE_ID, "name": "lab-1"}, None)
    project = Project._from_hub({"id": NODE_ID, "name": "proj-1"}, None)

    assert identity_map.add(node) is node
    assert identity_map.add(project) is project
    assert len(identity_map) == 2

    identity_map.expunge(node)
    assert identity_map.get(Node, NODE_ID) is None
    assert identity_map.get(Project, NODE_ID) is project
    assert node not in identity_map
    assert project in identity_map


def test_listing_caches_last_rows(fake_hub):
    for index in range(120):
        fake_hub.create_realm(f"realm-{index:03d}")

    with make_session(fake_hub, cache_size=10) as session:
        realms = list(Realm.objects.using(session).order_by("name"))
        fresh = [realm.name for realm in realms if session.identity_map.is_fresh(realm)]

        assert len(realms) == 121
        # Rows of earlier pages would be evicted by later rows anyway, so they never enter the cache.
        assert fresh == [realm.name for realm in realms[-10:]]
        assert all(session.identity_map.get(Realm, realm.id) is realm for realm in realms)


def test_map_sweeps_freed_objects():
    identity_map = IdentityMap(ttl=0, maxsize=0)
    live_nodes = []
    for index in range(5000):
        node = identity_map.add(Node._from_hub({"id": str(uuid.UUID(int=index)), "name": "lab-1"}, None))
        if index % 100 == 0:
            live_nodes.append(node)
    del node
    gc.collect()

    assert len(identity_map) == 50
    assert all(identity_map.get(Node, node.id) is node for node in live_nodes)
    # Entries of freed objects are removed in sweeps, so the map does not grow with every object it saw.
    assert len(identity_map._objects[Node]) < 2 * 1024
