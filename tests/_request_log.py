"""Helpers that wait for the fake Hub's request log, shared by the ORM and reliability tests."""

from __future__ import annotations

import time
from typing import Any


def logged(hub: Any, path: str, method: str | None = None, count: int = 1) -> list[Any]:
    """Return the logged requests to the glob ``path`` once at least ``count`` are there.

    The fake Hub logs a request before it sends the status line, so a request whose response
    the caller already has is found at once. The wait covers requests still in flight on
    other threads.
    """
    deadline = time.monotonic() + 2.0
    records = hub.requests_to(path, method)
    while len(records) < count and time.monotonic() < deadline:
        time.sleep(0.005)
        records = hub.requests_to(path, method)
    return records


def settle(hub: Any) -> None:
    """Wait until the request log stops growing, for requests sent from other threads."""
    previous = -1
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        current = len(hub.requests)
        if current == previous:
            return
        previous = current
        time.sleep(0.02)
