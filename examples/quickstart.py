"""Walk through the official flame-hub-client quickstart with this library's functional clients.

Set ``FLAME_HUB_URL`` (and ``FLAME_HUB_USERNAME`` / ``FLAME_HUB_PASSWORD``) to run it against a
real Hub; without ``FLAME_HUB_URL`` it starts a fake Hub in this process and prints that on its first line.
"""

from __future__ import annotations

import contextlib
import os
import uuid

import flame_hub


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

        # Each client talks to one service, and all of them get their token from the auth service.
        auth = flame_hub.auth.PasswordAuth(username=username, password=password, base_url=f"{url}/auth/")
        auth_client = stack.enter_context(flame_hub.AuthClient(base_url=f"{url}/auth/", auth=auth))
        core_client = stack.enter_context(flame_hub.CoreClient(base_url=f"{url}/core/", auth=auth))

        master_realms = auth_client.find_realms(filter={"name": "master"})
        assert len(master_realms) == 1, f"expected one realm named 'master', found {len(master_realms)}"
        master_realm = master_realms.pop()
        print(master_realm.model_dump_json(indent=2))

        # A random suffix keeps the name unique when the script runs against a shared Hub.
        my_node = core_client.create_node(name=f"quickstart-{uuid.uuid4().hex[:8]}", realm_id=master_realm)
        print(my_node.model_dump_json(indent=2))

        core_client.update_node(my_node, hidden=True)
        fetched = core_client.get_node(my_node.id)
        assert fetched is not None and fetched.hidden is True, "the node should be hidden after the update"

        core_client.delete_node(my_node)
        assert core_client.get_node(my_node.id) is None, "the node should be gone after the delete"
        print(f"Created, hid and deleted the node {my_node.id}.")


if __name__ == "__main__":
    main()
