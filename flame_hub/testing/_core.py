"""The fake Hub's core service. TODO: routes and seed data are being written."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.types import ASGIApp

from ._state import HubState


def seed_core(state: HubState) -> None:
    """Insert the initial records of the core service."""


def build_core_app(state: HubState) -> ASGIApp:
    """Return the ASGI app of the core service, mounted at /core."""
    from ._server import not_found

    return Starlette(routes=[], exception_handlers={404: not_found, 405: not_found})
