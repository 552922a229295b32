"""The ``hub_session`` fixture of the pytest plugin: a logged-in default Session on the fake Hub."""

import flame_hub
from flame_hub.models import Node, Realm


def test_hub_session_is_default(hub_session):
    assert flame_hub.get_default_session() is hub_session


def test_hub_session_reads_master_realm(hub_session, fake_hub):
    realm = Realm.objects.get(name="master")

    assert realm.id == fake_hub.state.known["master_realm_id"]


def test_hub_session_saves_through_default(hub_session, fake_hub):
    Node(name="plugin-node").save()

    created = fake_hub.requests_to("/core/nodes", "POST")
    assert len(created) == 1
    assert created[0].body == {"name": "plugin-node"}
