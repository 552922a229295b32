"""Helpers of the ORM tests: a Session on the fake Hub and waiting for its request log."""

from __future__ import annotations

import time
from typing import Any

from flame_hub._session import Session
from flame_hub.auth import PasswordAuth


def make_session(hub: Any, **kwargs: Any) -> Session:
    """Return a Session logged in as the fake Hub's admin user."""
    return Session(hub.url, auth=PasswordAuth("admin", "start123"), **kwargs)


def logged(hub: Any, path: str, method: str | None = None, count: int = 1) -> list[Any]:
    """Return the logged requests to ``path`` once at least ``count`` are there.

    The fake Hub appends a request to its log after the response went out, so the last entry
    can arrive a moment after the client has returned.
    """
    deadline = time.monotonic() + 2.0
    records = hub.requests_to(path, method)
    while len(records) < count and time.monotonic() < deadline:
        time.sleep(0.005)
        records = hub.requests_to(path, method)
    return records


def settle(hub: Any) -> None:
    """Wait until the request log has caught up with every response already received."""
    previous = -1
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        current = len(hub.requests)
        if current == previous:
            return
        previous = current
        time.sleep(0.02)
