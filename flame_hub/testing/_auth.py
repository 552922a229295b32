"""The fake Hub's auth service, a stand-in for Authup 1.0.0-beta.63: tokens, realms, users, clients, roles, permissions.

``seed_auth`` inserts the initial data and ``build_auth_app`` returns the ASGI app mounted at
``/auth``. The ``create_*`` functions add identities for tests; ``FakeHub`` wraps them.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ._auth_records import (
    ADMIN_PASSWORD,
    ADMIN_USER_NAME,
    ALL_PERMISSIONS,
    HUB_PERMISSIONS,
    SYSTEM_CLIENT_NAME,
    SYSTEM_CLIENT_SECRET,
    add_client,
    add_realm,
    add_user,
    issue_admin_token,
    seed_auth,
)
from ._auth_routes import entity_routes
from ._auth_token import (
    introspect_endpoint,
    jwks_endpoint,
    openid_configuration_endpoint,
    revoke_endpoint,
    status_endpoint,
    token_endpoint,
    userinfo_endpoint,
)
from ._errors import FakeHubError, authup_error_response
from ._state import HubState

logger = logging.getLogger(__name__)

__all__ = [
    "ADMIN_PASSWORD",
    "ADMIN_USER_NAME",
    "ALL_PERMISSIONS",
    "HUB_PERMISSIONS",
    "SYSTEM_CLIENT_NAME",
    "SYSTEM_CLIENT_SECRET",
    "build_auth_app",
    "create_client",
    "create_realm",
    "create_user",
    "issue_admin_token",
    "seed_auth",
]


def create_realm(state: HubState, name: str) -> dict[str, Any]:
    """Insert a realm called ``name`` and return a copy of its record."""
    return dict(add_realm(state, name))


def create_user(
    state: HubState, name: str, password: str, *, realm: str = "master", permissions: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Insert a user of ``realm`` (name or id) holding ``permissions`` and return a copy of its record."""
    return dict(add_user(state, name, password, realm=realm, permissions=tuple(permissions)))


def create_client(
    state: HubState, name: str, secret: str | None, *, realm: str = "master", permissions: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Insert a client of ``realm`` holding ``permissions`` and return a copy of its record (with its secret)."""
    return dict(add_client(state, name, secret, realm=realm, permissions=tuple(permissions)))


async def _authup_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FakeHubError)
    logger.debug("Fake Authup rejected %s %s with %s %s", request.method, request.url.path, exc.status, exc.code)
    return authup_error_response(exc)


def build_auth_app(state: HubState) -> ASGIApp:
    """Return the ASGI app of the auth service, mounted at /auth."""
    from ._server import not_found

    routes = [
        Route("/", status_endpoint(state), methods=["GET"]),
        Route("/token", token_endpoint(state), methods=["POST"]),
        Route("/token/introspect", introspect_endpoint(state), methods=["GET", "POST"]),
        Route("/token/revoke", revoke_endpoint(state), methods=["POST"]),
        Route("/userinfo", userinfo_endpoint(state), methods=["GET"]),
        Route("/jwks", jwks_endpoint(state), methods=["GET"]),
        Route("/realms/{realm}/jwks", jwks_endpoint(state), methods=["GET"]),
        Route("/.well-known/openid-configuration", openid_configuration_endpoint(state), methods=["GET"]),
        Route(
            "/realms/{realm}/.well-known/openid-configuration", openid_configuration_endpoint(state), methods=["GET"]
        ),
        *entity_routes(state),
    ]
    handlers = {404: not_found, 405: not_found, FakeHubError: _authup_error}
    return Starlette(routes=routes, exception_handlers=handlers)  # type: ignore[arg-type]
