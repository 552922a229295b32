"""The fake Hub's storage service. TODO: routes and seed data are being written."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from ._state import HubState


def seed_storage(state: HubState) -> None:
    """Insert the initial records of the storage service."""


def build_storage_app(state: HubState) -> ASGIApp:
    """Return the ASGI app of the storage service, mounted at /storage."""
    from ._server import not_found

    return Starlette(routes=[], exception_handlers={404: not_found, 405: not_found})
