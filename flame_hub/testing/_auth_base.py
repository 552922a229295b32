"""Shared pieces of the fake Authup service: error responses, bearer checks, permission checks and passwords.

The error bodies, codes and messages follow what Authup 1.0.0-beta.63 sends behind a Hub 0.14.0.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ._errors import FakeHubError
from ._state import HubState, Identity, TokenRecord

# Markers Authup adds to the common ``@instanceof`` bases for each error family.
OAUTH2_REQUEST_MARKERS = ["@authup/specs/OAuth2Error", "@authup/specs/OAuth2RequestError"]
OAUTH2_CLIENT_MARKERS = ["@authup/specs/OAuth2Error", "@authup/specs/OAuth2ClientError"]
OAUTH2_GRANT_MARKERS = ["@authup/specs/OAuth2Error", "@authup/specs/OAuth2GrantTypeError"]
OAUTH2_ERROR_MARKERS = ["@authup/specs/OAuth2Error"]
JWT_MARKERS = ["@authup/specs/JWTError"]
PERMISSION_MARKERS = ["@authup/access/PermissionError"]

# PBKDF2 rounds for stored user passwords. The fake only needs a one-way hash, not a slow one,
# because every test run seeds users and logs in many times.
PASSWORD_HASH_ROUNDS = 1000

# A route handler of the fake Authup.
Handler = Callable[[Request], Awaitable[Response]]

_UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(value: object) -> bool:
    """Return whether ``value`` is a UUID string, the test Authup uses to tell ids from names."""
    return isinstance(value, str) and _UUID_PATTERN.match(value) is not None


# -- errors ------------------------------------------------------------------------------------


def oauth2_request_error(message: str) -> FakeHubError:
    """Build Authup's 400 ``invalid_request`` response of the token endpoint."""
    return FakeHubError(
        400,
        "invalid_request",
        message,
        name="OAuth2RequestError",
        instanceof=OAUTH2_REQUEST_MARKERS,
        extra={"error": "invalid_request", "hint": "Check that all parameters have been provided correctly"},
    )


def oauth2_client_error(message: str = "Client authentication failed") -> FakeHubError:
    """Build Authup's 401 ``invalid_client`` response."""
    return FakeHubError(
        401,
        "invalid_client",
        message,
        name="OAuth2ClientError",
        instanceof=OAUTH2_CLIENT_MARKERS,
        extra={"error": "invalid_client"},
    )


def oauth2_grant_type_error() -> FakeHubError:
    """Build Authup's 400 error for a missing, unknown or removed ``grant_type``."""
    return FakeHubError(
        400,
        "unsupported_token_grant_type",
        "The authorization grant type is not supported by the authorization server",
        name="OAuth2GrantTypeError",
        instanceof=OAUTH2_GRANT_MARKERS,
        extra={"error": "unsupported_grant_type", "hint": "Check that all required parameters have been provided"},
    )


def oauth2_invalid_grant(message: str) -> FakeHubError:
    """Build a 400 ``invalid_grant`` error (bad, expired, revoked or replayed refresh token)."""
    # NOTE: no recording shows this error; the code and status follow Authup's status table.
    return FakeHubError(
        400,
        "invalid_grant",
        message,
        name="OAuth2Error",
        instanceof=OAUTH2_ERROR_MARKERS,
        extra={"error": "invalid_grant"},
    )


def credentials_invalid(kind: str = "user") -> FakeHubError:
    """Build the 400 ``invalid_credentials`` error for a wrong name or password."""
    return FakeHubError(
        400, "invalid_credentials", f"The {kind} credentials are invalid.", name="EntityCredentialsInvalidError"
    )


def not_found() -> FakeHubError:
    """Build Authup's 404 error for an unknown record id or name."""
    return FakeHubError(404, "entity_not_found", "Entity not found.", name="EntityNotFoundError")


def internal_error() -> FakeHubError:
    """Build Authup's 500 error, with the message Authup puts in place of every 5xx message."""
    return FakeHubError(500, "internal_error", "An internal server error occurred.")


def validation_error(message: str) -> FakeHubError:
    """Build a 400 ``ValidationError`` without issues (a business rule, not a field format)."""
    return FakeHubError(400, "bad_request", message, name="ValidationError")


def unique_conflict() -> FakeHubError:
    """Build the 409 error Authup sends when its own pre-check finds a duplicate."""
    return FakeHubError(409, "entity_conflict", "An entry with some unique attributes already exists.")


def database_conflict() -> FakeHubError:
    """Build the 409 error Authup sends when the database rejects a duplicate (roles, permissions)."""
    return FakeHubError(
        409,
        "entity_conflict",
        "A db entry with some unique attributes already exists.",
        name="DatabaseConflictError",
        instanceof=[],
    )


def relation_conflict(entity: str) -> FakeHubError:
    """Build the 409 error for a relation that exists already, e.g. ``entity="role-permission"``."""
    return FakeHubError(409, "entity_conflict", f"The {entity} already exists.", name="EntityConflictError")


def relation_invalid(entity: str, key: str) -> FakeHubError:
    """Build the 400 error for a reference (``realmId``, ``roleId`` …) to a record that does not exist."""
    return FakeHubError(400, "entity_relation_invalid", f"Can't find {entity} entity by {key}")


def payload_invalid(issues: list[dict[str, Any]]) -> FakeHubError:
    """Build the 400 error of a payload validation with one issue per invalid attribute."""
    keys = [str(item["path"][0]) for item in issues]
    if len(keys) == 1:
        message = f"Property {keys[0]} is invalid"
    else:
        message = f"Properties {', '.join(keys)} are invalid"
    return FakeHubError(400, "bad_request", message, issues)


def unauthorized() -> FakeHubError:
    """Build the 401 error for a route that needs a login and got no token."""
    return FakeHubError(401, "identity_unauthorized", "Authentication required.", name="UnauthorizedError")


def jwt_error(code: str, message: str) -> FakeHubError:
    """Build the 401 error for a bearer token Authup cannot accept."""
    return FakeHubError(401, code, message, name="JWTError", instanceof=JWT_MARKERS)


def _policy_issues(identity_present: bool) -> list[dict[str, Any]]:
    """Return the nested policy groups Authup reports under one failed permission."""
    if identity_present:
        innermost: list[dict[str, Any]] = []
    else:
        # Without a token the permission-binding policy finds no identity to bind.
        innermost = [
            {
                "type": "group",
                "message": "The evaluation of child policy permissionBinding failed",
                "issues": [
                    {
                        "type": "item",
                        "code": "DATA_MISSING",
                        "message": "The data property identity is missing",
                        "path": ["composite", "permissionBinding"],
                    }
                ],
                "path": ["composite", "permissionBinding"],
            }
        ]
    unanimous = {
        "type": "group",
        "message": "The evaluation of composite policy failed (unanimous)",
        "issues": innermost,
        "path": ["composite"],
    }
    child = {
        "type": "group",
        "message": "The evaluation of child policy composite failed",
        "issues": [unanimous],
        "path": ["composite"],
    }
    affirmative = {
        "type": "group",
        "message": "The evaluation of composite policy failed (affirmative)",
        "issues": [child],
        "path": [],
    }
    return [affirmative]


def permission_denied(names: tuple[str, ...], identity: Identity | None) -> FakeHubError:
    """Build Authup's 403 ``permission_evaluation_failed`` error for permissions the caller lacks."""
    issues = [
        {
            "type": "group",
            "code": "permission_evaluation_failed",
            "issues": _policy_issues(identity is not None),
            "message": f"The {name} permissions policy evaluation failed",
            "path": [name],
        }
        for name in names
    ]
    return FakeHubError(
        403,
        "permission_evaluation_failed",
        f"The evaluation of permissions {', '.join(names)} failed",
        issues,
        name="PermissionError",
        instanceof=PERMISSION_MARKERS,
    )


# -- bearer tokens and permissions ---------------------------------------------------------------


def token_problem(record: TokenRecord | None) -> FakeHubError | None:
    """Return the 401 error for an access token Authup would reject, or ``None`` for a good one."""
    if record is None or record.kind != "access":
        return jwt_error("invalid_token", "The JWT is invalid.")
    if record.revoked or record.consumed:
        return jwt_error("inactive_token", "The JWT is not active.")
    if time.monotonic() >= record.expires_at:
        return jwt_error("expired_token", "The JWT is expired.")
    return None


def optional_identity(state: HubState, request: Request) -> Identity | None:
    """Return the caller of an Authup request, ``None`` without a token, or raise 401 for a bad token.

    A bad token fails even on routes that anonymous callers may use, as Authup does.
    """
    header = request.headers.get("authorization")
    if header is None:
        token = request.cookies.get("access_token")
        if token is None:
            return None
    else:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise jwt_error("invalid_token", "The JWT is invalid.")
        token = value.strip()

    record = state.tokens.get(token)
    problem = token_problem(record)
    if problem is not None:
        raise problem
    assert record is not None
    return record.identity


def required_identity(state: HubState, request: Request) -> Identity:
    """Return the caller of an Authup request, or raise 401 when no token was sent."""
    identity = optional_identity(state, request)
    if identity is None:
        raise unauthorized()
    return identity


def require_any(state: HubState, identity: Identity | None, *names: str) -> None:
    """Raise 403 unless ``identity`` has at least one of ``names`` (Authup's read checks)."""
    if identity is not None and state.permission_names(identity) & set(names):
        return
    raise permission_denied(names, identity)


def require_all(state: HubState, identity: Identity | None, *names: str) -> None:
    """Raise 403 unless ``identity`` has every permission in ``names``."""
    granted = state.permission_names(identity) if identity is not None else set()
    missing = tuple(name for name in names if name not in granted)
    if missing:
        raise permission_denied(missing, identity)


def is_master(identity: Identity | None) -> bool:
    """Return whether ``identity`` belongs to the master realm, which may read and write every realm."""
    return identity is not None and identity.realm_name == "master"


# -- request bodies ----------------------------------------------------------------------------


async def read_body(request: Request) -> dict[str, Any]:
    """Return the JSON or form body of ``request`` as a dict (empty when absent or not an object).

    A body that claims to be JSON but does not parse raises Authup's 500, like the Hub does.
    """
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}

    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        # NOTE: assumed from the Hub's core service, which returns 500 for malformed JSON.
        raise internal_error() from None
    return parsed if isinstance(parsed, dict) else {}


# -- passwords and secrets -------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Return a salted one-way hash of ``password`` to store instead of the plaintext."""
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PASSWORD_HASH_ROUNDS).hex()
    return f"pbkdf2_sha256${PASSWORD_HASH_ROUNDS}${salt}${digest}"


def verify_password(password: str, stored: str | None) -> bool:
    """Return whether ``password`` matches a hash made by ``hash_password``."""
    if not stored:
        return False
    try:
        _, rounds, salt, digest = stored.split("$")
        expected = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(rounds)).hex()
    except ValueError:
        return False
    return hmac.compare_digest(expected, digest)


def generate_secret() -> str:
    """Return a new random client secret of 64 characters, as Authup generates them."""
    return secrets.token_hex(32)
