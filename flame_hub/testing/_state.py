"""The fake Hub's in-memory state: tables of records, stored file contents and issued tokens.

Records are stored exactly as the Hub sends them (camelCase keys, ISO timestamps), keyed by
table name (``"auth.users"``, ``"core.nodes"``, ``"storage.buckets"``) and then by id. All
handlers run on the server's event loop thread, so they see and change the state one at a
time; code on other threads goes through ``FakeHub`` methods, which hop onto that loop.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request

from ._errors import FakeHubError

# Table names of the auth service; the permission lookup below reads them.
AUTH_TABLES = (
    "auth.realms",
    "auth.users",
    "auth.roles",
    "auth.permissions",
    "auth.role_permissions",
    "auth.user_permissions",
    "auth.user_roles",
    "auth.clients",
    "auth.client_permissions",
    "auth.client_roles",
    "auth.robots",
    "auth.robot_permissions",
    "auth.robot_roles",
)


def new_id() -> str:
    """Return a new random UUID string, as the Hub's database generates them."""
    return str(uuid.uuid4())


# The millisecond of the last timestamp handed out, shared by every fake Hub of the process.
_last_millisecond = 0
_timestamp_lock = threading.Lock()


def now_iso() -> str:
    """Return the current time as the Hub writes it: ISO 8601, milliseconds, ``Z``.

    Each call returns a later millisecond than the call before. Records created within one
    millisecond would otherwise tie on ``createdAt``, and a sort by it would then order them by
    its tie-break instead of by creation, unlike the recorded exchanges.
    """
    global _last_millisecond
    with _timestamp_lock:
        _last_millisecond = max(time.time_ns() // 1_000_000, _last_millisecond + 1)
        millisecond = _last_millisecond
    moment = datetime.fromtimestamp(millisecond // 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millisecond % 1000:03d}Z"


@dataclass(frozen=True)
class Identity:
    """The caller of a request, as the Hub identifies it after introspecting the bearer token.

    ``kind`` is ``"user"``, ``"client"`` or ``"robot"`` (legacy mode only).
    """

    kind: str
    id: str
    name: str
    realm_id: str
    realm_name: str


@dataclass
class TokenRecord:
    """An access or refresh token issued by the fake token endpoint.

    ``family`` groups the refresh tokens of one login: replaying a consumed refresh token
    revokes every token of its family, as Authup does.
    """

    token: str
    kind: str  # "access" or "refresh"
    identity: Identity
    expires_at: float  # time.monotonic() based
    family: str
    client_id: str | None = None
    consumed: bool = False
    revoked: bool = False
    # Wall-clock issue time (seconds since the epoch) and lifetime in seconds, for introspection's iat and exp.
    issued_at: float = field(default_factory=time.time)
    lifetime: float = 0.0

    @property
    def active(self) -> bool:
        return not self.revoked and not self.consumed and time.monotonic() < self.expires_at


@dataclass
class HubState:
    """All data of one fake Hub. ``reset()`` drops everything and seeds the initial data again."""

    access_token_lifetime: float = 900.0
    refresh_token_lifetime: float = 259_200.0
    legacy_robots: bool = False
    tables: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    file_contents: dict[str, bytes] = field(default_factory=dict)
    tokens: dict[str, TokenRecord] = field(default_factory=dict)
    # Values a test or the seeding wants to find again, e.g. "master_realm_id", "admin_user_id".
    known: dict[str, str] = field(default_factory=dict)

    def table(self, name: str) -> dict[str, dict[str, Any]]:
        """Return the table called ``name``, creating it empty on first use."""
        return self.tables.setdefault(name, {})

    def reset(self) -> None:
        """Drop all records, files and tokens, then seed the initial data of every service."""
        from ._auth import seed_auth
        from ._core import seed_core
        from ._storage import seed_storage

        self.tables.clear()
        self.file_contents.clear()
        self.tokens.clear()
        self.known.clear()
        seed_auth(self)
        seed_core(self)
        seed_storage(self)

    # -- tokens ---------------------------------------------------------------------------

    def issue_token(
        self,
        identity: Identity,
        kind: str,
        lifetime: float,
        *,
        family: str | None = None,
        client_id: str | None = None,
    ) -> TokenRecord:
        """Create, store and return a new opaque token for ``identity``."""
        record = TokenRecord(
            token=secrets.token_urlsafe(32),
            kind=kind,
            identity=identity,
            expires_at=time.monotonic() + lifetime,
            family=family or new_id(),
            client_id=client_id,
            lifetime=lifetime,
        )
        self.tokens[record.token] = record
        return record

    def revoke_identity(self, kind: str, identity_id: str) -> None:
        """Revoke every token issued to one user, client or robot, for example after it was deleted."""
        for record in self.tokens.values():
            if record.identity.kind == kind and record.identity.id == identity_id:
                record.revoked = True

    def revoke_family(self, family: str) -> None:
        """Revoke every access and refresh token that belongs to one login."""
        for record in self.tokens.values():
            if record.family == family:
                record.revoked = True

    @staticmethod
    def bearer_token(request: Request) -> str | None:
        """Return the bearer token of ``request``, or the ``access_token`` cookie when no header is sent."""
        header = request.headers.get("authorization")
        if header is None:
            return request.cookies.get("access_token")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        return value.strip() or None

    def token_identity(self, token: str | None) -> Identity | None:
        """Return the identity of an active access token, or ``None``."""
        if token is None:
            return None
        record = self.tokens.get(token)
        if record is None or record.kind != "access" or not record.active:
            return None
        return record.identity

    def hub_identity(self, request: Request) -> Identity:
        """Authenticate a request to the core or storage service.

        A missing token raises 401 ``identity_unauthorized``. An unknown, expired or revoked token
        raises 500 ``internal_error``, because the Hub passes the verifier's error through.
        """
        token = self.bearer_token(request)
        if token is None:
            raise FakeHubError(401, "identity_unauthorized", "Authentication required.")
        identity = self.token_identity(token)
        if identity is None:
            raise FakeHubError(500, "internal_error", "The JWT is not active.")
        return identity

    # -- permissions ------------------------------------------------------------------------

    def permission_names(self, identity: Identity) -> set[str]:
        """Return the names of all permissions granted to ``identity``, directly or through roles."""
        permissions = self.table("auth.permissions")
        if identity.kind == "user":
            direct, via_roles, owner_key = "auth.user_permissions", "auth.user_roles", "userId"
        elif identity.kind == "client":
            direct, via_roles, owner_key = "auth.client_permissions", "auth.client_roles", "clientId"
        elif identity.kind == "robot":
            direct, via_roles, owner_key = "auth.robot_permissions", "auth.robot_roles", "robotId"
        else:
            return set()

        permission_ids = {
            row["permissionId"] for row in self.table(direct).values() if row.get(owner_key) == identity.id
        }
        role_ids = {row["roleId"] for row in self.table(via_roles).values() if row.get(owner_key) == identity.id}
        for row in self.table("auth.role_permissions").values():
            if row.get("roleId") in role_ids:
                permission_ids.add(row["permissionId"])
        return {permissions[pid]["name"] for pid in permission_ids if pid in permissions}

    def require_permissions(self, identity: Identity, *names: str) -> None:
        """Raise the Hub's 400 ``permission_not_found`` error unless ``identity`` has all ``names``."""
        granted = self.permission_names(identity)
        missing = [name for name in names if name not in granted]
        if not missing:
            return
        joined = ", ".join(names)
        issues = [
            {
                "type": "item",
                "code": "permission_not_found",
                "message": f"The {name} permission could not be resolved",
                "path": [name],
            }
            for name in missing
        ]
        raise FakeHubError(400, "bad_request", f"The evaluation of permissions {joined} failed", issues)

    def realm_writable(self, identity: Identity, realm_id: str | None) -> bool:
        """Return whether ``identity`` may write a resource of ``realm_id`` (the master realm may write all)."""
        if identity.realm_name == "master":
            return True
        return realm_id is not None and realm_id == identity.realm_id

    def require_realm_writable(self, identity: Identity, realm_id: str | None) -> None:
        """Raise 403 ``permission_denied`` unless ``identity`` may write a resource of ``realm_id``."""
        if not self.realm_writable(identity, realm_id):
            raise FakeHubError(403, "permission_denied", "You are not permitted to manage resources of this realm.")
