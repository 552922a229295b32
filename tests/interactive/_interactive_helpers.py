"""Helpers of the interactive-use tests: counting the fake Hub's requests once its log has caught up."""

from __future__ import annotations

import time
from typing import Any


def request_count(hub: Any) -> int:
    """Return the number of logged requests once the log has caught up with the responses received.

    The fake Hub appends a request to its log as the response leaves, so the last entry can
    arrive a moment after the client has returned.
    """
    previous = -1
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        current = len(hub.requests)
        if current == previous:
            return current
        previous = current
        time.sleep(0.02)
    return len(hub.requests)
