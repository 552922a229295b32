"""Walk through the quickstart with the ORM: find the master realm, create, hide and delete a node.

Set ``FLAME_HUB_URL`` (and ``FLAME_HUB_USERNAME`` / ``FLAME_HUB_PASSWORD``) to run it against a
real Hub; without ``FLAME_HUB_URL`` it starts a fake Hub in this process and prints that on its first line.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import flame_hub
from flame_hub.models import Node, Realm


def hub_address(stack: contextlib.ExitStack) -> tuple[str, str, str]:
    """Return the Hub URL, user name and password, starting a fake Hub when no URL is set."""
    url = os.environ.get("FLAME_HUB_URL")
    if url:
        password = os.environ.get("FLAME_HUB_PASSWORD")
        if not password:
            username = os.environ.get("FLAME_HUB_USERNAME")
            whose = f"of the user {username!r}" if username else "of the user 'admin' (or set FLAME_HUB_USERNAME too)"
            raise SystemExit(f"FLAME_HUB_URL is set but FLAME_HUB_PASSWORD is not: set it to the password {whose}.")
        print(f"Using the Hub at {url}.")
        return url.rstrip("/"), os.environ.get("FLAME_HUB_USERNAME", "admin"), password

    # Import the fake Hub only here, because it needs the "fake" extra and a real Hub does not.
    from flame_hub.testing import FakeHub

    hub = stack.enter_context(FakeHub())
    print(f"FLAME_HUB_URL is not set, so a fake Hub was started at {hub.url}.")
    return hub.url, FakeHub.admin_username, FakeHub.admin_password


def main() -> None:
    with contextlib.ExitStack() as stack:
        url, username, password = hub_address(stack)

        # connect() makes this session the default one that Model.objects uses.
        session = flame_hub.connect(url, auth=flame_hub.auth.PasswordAuth(username, password))
        stack.enter_context(session)

        master_realm = Realm.objects.get(name="master")
        print(master_realm.model_dump_json(indent=2))

        # A random suffix keeps the name unique when the script runs against a shared Hub.
        node = Node(name=f"quickstart-{uuid.uuid4().hex[:8]}", realm=master_realm)
        node.save()
        print(node.model_dump_json(indent=2))

        node.hidden = True
        node.save()
        node.refresh()
        assert node.hidden is True, "the node should be hidden after the update"

        node_id = node.id
        node.delete()
        assert Node.objects.get_or_none(id=node_id) is None, "the node should be gone after the delete"
        print(f"Created, hid and deleted the node {node_id}.")


if __name__ == "__main__":
    main()
