"""Hub records whose extra keys collide with Python parameter names parse like any other extra key."""

from __future__ import annotations

import pytest

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import Node

NODE_ID = "0dd7b864-98d0-4302-a601-bc4a6121cf14"


@pytest.mark.parametrize("key", ["self", "cls", "data", "__class__"])
def test_record_with_reserved_key_parses(fake_hub, key):
    body = {"data": [{"id": NODE_ID, "name": "lab-1", key: "value"}], "meta": {"total": 1}}
    fake_hub.add_fault("GET", "/core/nodes", status=200, body=body)

    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as session:
        [node] = Node.objects.using(session).all()

    assert node.id == NODE_ID
    assert node.name == "lab-1"
    assert node.model_extra == {key: "value"}
