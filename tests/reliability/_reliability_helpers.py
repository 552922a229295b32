"""Helpers of the reliability tests: Sessions on the fake Hub and waiting for its request log."""

from __future__ import annotations

import time
from typing import Any

from flame_hub import Retry, Session
from flame_hub.auth import PasswordAuth

# Short waits keep the suite fast; without jitter the order of events is fixed.
FAST_RETRY = Retry(total=3, backoff_factor=0.01, backoff_max=0.05, max_elapsed=5.0, jitter=False)


def admin_session(hub: Any, **kwargs: Any) -> Session:
    """Return a Session logged in as the fake Hub's admin user."""
    kwargs.setdefault("retries", FAST_RETRY)
    return Session(hub.url, auth=PasswordAuth(hub.admin_username, hub.admin_password), **kwargs)


def logged(hub: Any, path: str, method: str | None = None, count: int = 1) -> list[Any]:
    """Return the logged requests to the glob ``path`` once at least ``count`` are there.

    The fake Hub logs a request just after its response went out, so the last entry can
    arrive a moment after the client has returned.
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
