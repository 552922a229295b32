"""The fake Hub's timestamps order records by creation even when they are created within one millisecond."""

from __future__ import annotations

from flame_hub import Session
from flame_hub.auth import PasswordAuth
from flame_hub.models import Node
from flame_hub.testing._state import now_iso


def test_timestamps_strictly_increase():
    moments = [now_iso() for _ in range(1000)]

    assert moments == sorted(moments)
    assert len(set(moments)) == len(moments)


def test_sort_by_created_at_follows_creation(fake_hub):
    with Session(fake_hub.url, auth=PasswordAuth("admin", "start123")) as session:
        created = [Node.objects.using(session).create(name=f"lab-{index}") for index in range(5)]

        newest_first = list(Node.objects.using(session).filter(name__startswith="lab-").order_by("-created_at"))

    assert newest_first == created[::-1]
    assert len({node.created_at for node in created}) == len(created)
