"""Helpers of the reliability tests: Sessions on the fake Hub and waiting for its request log."""

from __future__ import annotations

from typing import Any

from _request_log import logged, settle

from flame_hub import Retry, Session
from flame_hub.auth import PasswordAuth

__all__ = ["FAST_RETRY", "admin_session", "logged", "settle"]

# Short waits keep the suite fast; without jitter the order of events is fixed.
FAST_RETRY = Retry(total=3, backoff_factor=0.01, backoff_max=0.05, max_elapsed=5.0, jitter=False)


def admin_session(hub: Any, **kwargs: Any) -> Session:
    """Return a Session logged in as the fake Hub's admin user."""
    kwargs.setdefault("retries", FAST_RETRY)
    return Session(hub.url, auth=PasswordAuth(hub.admin_username, hub.admin_password), **kwargs)
