"""Helpers of the ORM tests: a Session on the fake Hub and waiting for its request log."""

from __future__ import annotations

from typing import Any

from _request_log import logged, settle

from flame_hub._session import Session
from flame_hub.auth import PasswordAuth

__all__ = ["logged", "make_session", "settle"]


def make_session(hub: Any, **kwargs: Any) -> Session:
    """Return a Session logged in as the fake Hub's admin user."""
    return Session(hub.url, auth=PasswordAuth("admin", "start123"), **kwargs)
