"""A 409 names the values the request sent, because the Hub does not say which one conflicts."""

from __future__ import annotations

import pytest

import flame_hub
from flame_hub.models import Node, Realm


def test_conflict_names_sent_name(hub_session):
    realm = Realm.objects.get(name="master")
    Node.objects.create(name="lab-2", realm=realm)

    with pytest.raises(flame_hub.Conflict) as info:
        Node.objects.create(name="lab-2", realm=realm)

    assert "name='lab-2'" in str(info.value)
    assert info.value.message == "An entry with some unique attributes already exists."


def test_conflict_hides_secrets(hub_session):
    from flame_hub.models import Client

    Client.objects.create(name="conflict-client", secret="a-long-client-secret")

    with pytest.raises(flame_hub.Conflict) as info:
        Client.objects.create(name="conflict-client", secret="another-long-secret")

    assert "name='conflict-client'" in str(info.value)
    assert "another-long-secret" not in str(info.value)
