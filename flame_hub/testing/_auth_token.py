"""The fake Authup's OAuth2 routes: the token endpoint, introspection, revocation and OpenID documents."""

from __future__ import annotations

import base64
import binascii
import secrets
import time
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._auth_base import (
    Handler,
    credentials_invalid,
    is_uuid,
    oauth2_client_error,
    oauth2_grant_type_error,
    oauth2_invalid_grant,
    oauth2_request_error,
    optional_identity,
    read_body,
    required_identity,
    verify_password,
)
from ._auth_records import ANY_REALM, find_by_name, identity_of, issue_login
from ._errors import FakeHubError
from ._state import HubState, Identity, TokenRecord, now_iso

AUTHUP_VERSION = "1.0.0-beta.63"


# -- parameters ------------------------------------------------------------------------------------


async def _token_parameters(request: Request) -> dict[str, Any]:
    """Return the token request's parameters: the body, completed by the query string."""
    parameters = dict(request.query_params)
    parameters.update(await read_body(request))
    return parameters


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Return the ``(client_id, client_secret)`` of an HTTP Basic header, or ``None``."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise oauth2_client_error() from None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _client_credentials(request: Request, parameters: dict[str, Any]) -> tuple[str, str | None] | None:
    """Return the client id and secret sent in the body or by HTTP Basic, rejecting both at once."""
    basic = _basic_credentials(request)
    in_body = parameters.get("client_id") is not None or parameters.get("client_secret") is not None
    if basic is not None and in_body:
        raise oauth2_request_error(
            "Client credentials must be provided either via Basic Authorization header or request body, not both."
        )
    if basic is not None:
        return basic
    if parameters.get("client_id") is None:
        return None
    secret = parameters.get("client_secret")
    return str(parameters["client_id"]), None if secret is None else str(secret)


def _guess_grant_type(request: Request, parameters: dict[str, Any]) -> str | None:
    """Return the grant a request without ``grant_type`` means, in the order Authup tries them."""
    if parameters.get("username") is not None and parameters.get("password") is not None:
        return "password"
    if parameters.get("refresh_token") is not None:
        return "refresh_token"
    if parameters.get("code") is not None:
        return "authorization_code"
    basic = _basic_credentials(request)
    if basic is not None or (parameters.get("client_id") is not None and parameters.get("client_secret") is not None):
        return "client_credentials"
    return None


def _realm_hint(state: HubState, parameters: dict[str, Any]) -> dict[str, Any]:
    """Return the realm named by ``realm_id`` or ``realm_name`` (each may hold an id or a name), else master."""
    realms = state.table("auth.realms")
    for key in ("realm_id", "realm_name"):
        hint = parameters.get(key)
        if not isinstance(hint, str) or not hint:
            continue
        if hint in realms:
            return realms[hint]
        record = find_by_name(state, "auth.realms", hint)
        if record is not None:
            return record
    return realms[state.known["master_realm_id"]]


# -- grants ---------------------------------------------------------------------------------------


def _password_grant(state: HubState, request: Request, parameters: dict[str, Any]) -> dict[str, Any]:
    username = parameters.get("username")
    password = parameters.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        raise oauth2_request_error("username and password must be provided.")

    credentials = _client_credentials(request, parameters)
    client_id = None
    if credentials is not None:
        client_id = _authenticate_client(state, parameters, credentials)["id"]

    realm = _realm_hint(state, parameters)
    user = find_by_name(state, "auth.users", username, realm["id"])
    if user is None or not verify_password(password, user.get("password")):
        raise credentials_invalid("user")
    if not user.get("active", True):
        raise FakeHubError(400, "entity_inactive", "The user is inactive.", name="EntityInactiveError")
    return issue_login(state, identity_of(state, "user", user), with_refresh=True, client_id=client_id)


def _authenticate_client(
    state: HubState, parameters: dict[str, Any], credentials: tuple[str, str | None]
) -> dict[str, Any]:
    """Return the client the credentials name, or raise 401 ``invalid_client``."""
    client_id, secret = credentials
    clients = state.table("auth.clients")
    # A UUID is only ever taken as an id. Node and analysis clients are named by a UUID, so
    # they cannot log in by name.
    if is_uuid(client_id):
        client = clients.get(client_id.lower())
    else:
        realm_hint = parameters.get("realm_id") or parameters.get("realm_name")
        realm_id = _realm_hint(state, parameters)["id"] if realm_hint else ANY_REALM
        client = find_by_name(state, "auth.clients", client_id, realm_id)
    if client is None or client.get("authMethod") == "none" or not secret:
        raise oauth2_client_error()
    if not secrets.compare_digest(str(client.get("secret") or ""), secret):
        raise oauth2_client_error()
    if not client.get("active", True):
        raise oauth2_client_error("Client is inactive")
    return client


def _client_credentials_grant(state: HubState, request: Request, parameters: dict[str, Any]) -> dict[str, Any]:
    credentials = _client_credentials(request, parameters)
    if credentials is None:
        raise oauth2_client_error()
    client = _authenticate_client(state, parameters, credentials)

    grant_types = client.get("grantTypes")
    if grant_types:
        allowed = {part for part in str(grant_types).replace(",", " ").split() if part}
        if "client_credentials" not in allowed:
            # NOTE: no recording shows the response to a grant the client does not list, so this error is a guess.
            raise oauth2_grant_type_error()
    return issue_login(state, identity_of(state, "client", client), with_refresh=False)


def _refresh_token_grant(state: HubState, request: Request, parameters: dict[str, Any]) -> dict[str, Any]:
    token = parameters.get("refresh_token")
    if not isinstance(token, str) or not token:
        raise oauth2_request_error(
            "The request is missing a required parameter, includes an unsupported parameter value, "
            "repeats a parameter, or is otherwise malformed."
        )

    record = state.tokens.get(token)
    if record is None or record.kind != "refresh":
        raise oauth2_invalid_grant("The refresh token is invalid.")
    if record.consumed:
        # A second use of a rotated refresh token means it leaked: end the whole login.
        state.revoke_family(record.family)
        raise oauth2_invalid_grant("The refresh token was already used; the session has been revoked.")
    if record.revoked:
        raise oauth2_invalid_grant("The refresh token has been revoked.")
    if time.monotonic() >= record.expires_at:
        raise oauth2_invalid_grant("The refresh token is expired.")

    if record.client_id is not None:
        # A refresh token bound to a client needs that client's credentials again.
        credentials = _client_credentials(request, parameters)
        if credentials is None:
            raise oauth2_client_error()
        if _authenticate_client(state, parameters, credentials)["id"] != record.client_id:
            raise oauth2_invalid_grant("The refresh token was issued to another client.")

    record.consumed = True
    return issue_login(state, record.identity, with_refresh=True, family=record.family, client_id=record.client_id)


def _authorization_code_grant(state: HubState, request: Request, parameters: dict[str, Any]) -> dict[str, Any]:
    credentials = _client_credentials(request, parameters)
    if credentials is None:
        raise oauth2_client_error()
    _authenticate_client(state, parameters, credentials)
    # The fake Hub has no login page, so it never issues an authorization code.
    raise oauth2_invalid_grant("The authorization code is invalid.")


def _robot_credentials_grant(state: HubState, request: Request, parameters: dict[str, Any]) -> dict[str, Any]:
    robot_id = parameters.get("id")
    secret = parameters.get("secret")
    if not isinstance(robot_id, str) or not isinstance(secret, str) or not robot_id or not secret:
        raise oauth2_request_error("id and secret must be provided.")
    robot = state.table("auth.robots").get(robot_id)
    if robot is None or not verify_password(secret, robot.get("secret")):
        raise credentials_invalid("robot")
    if not robot.get("active", True):
        raise FakeHubError(400, "entity_inactive", "The robot is inactive.", name="EntityInactiveError")
    return issue_login(state, identity_of(state, "robot", robot), with_refresh=False)


GRANTS = {
    "password": _password_grant,
    "client_credentials": _client_credentials_grant,
    "refresh_token": _refresh_token_grant,
    "authorization_code": _authorization_code_grant,
}


def token_endpoint(state: HubState) -> Handler:
    """Return the handler of ``POST /token``."""

    async def handler(request: Request) -> Response:
        parameters = await _token_parameters(request)
        grant_type = parameters.get("grant_type") or _guess_grant_type(request, parameters)
        grant = GRANTS.get(str(grant_type)) if grant_type else None
        if grant_type == "robot_credentials" and state.legacy_robots:
            grant = _robot_credentials_grant
        if grant is None:
            raise oauth2_grant_type_error()
        return JSONResponse(grant(state, request, parameters))

    return handler


# -- introspection and revocation ------------------------------------------------------------------


def _claims(state: HubState, record: TokenRecord, base_url: str) -> dict[str, Any]:
    """Return the claims Authup reports for a token, without ``active`` and ``permissions``."""
    identity = record.identity
    issued = int(record.issued_at)
    claims: dict[str, Any] = {
        "session_id": record.family,
        "user_agent": "system",
        "remote_address": "127.0.0.1",
        "scope": "global",
        "sub": identity.id,
        "sub_kind": identity.kind,
        "realm_id": identity.realm_id,
        "realm_name": identity.realm_name,
        "amr": ["pwd"],
        "acr": "urn:authup:pwd",
        "kind": "access_token" if record.kind == "access" else "refresh_token",
        "exp": int(record.issued_at + record.lifetime),
        "iss": f"{base_url}/realms/{identity.realm_name}",
        "realm_access": {"roles": _role_names(state, identity, realm_bound=True)},
        "global_access": {"roles": _role_names(state, identity, realm_bound=False)},
        # A name-based UUID identifies the token without revealing any of it.
        "jti": str(uuid.uuid5(uuid.NAMESPACE_URL, record.token)),
        "iat": issued,
    }
    if identity.kind == "user":
        user = state.table("auth.users").get(identity.id, {})
        claims.update(
            {
                "name": user.get("name", identity.name),
                "family_name": user.get("lastName"),
                "given_name": user.get("firstName"),
                "nickname": user.get("displayName") or identity.name,
                "preferred_username": identity.name,
                "updated_at": issued,
                "email": user.get("email"),
                "email_verified": True,
            }
        )
    else:
        claims["name"] = identity.name
    return claims


def _role_names(state: HubState, identity: Identity, *, realm_bound: bool) -> list[str]:
    table, key = {"user": ("auth.user_roles", "userId"), "client": ("auth.client_roles", "clientId")}.get(
        identity.kind, ("auth.robot_roles", "robotId")
    )
    roles = state.table("auth.roles")
    names = []
    for link in state.table(table).values():
        role = roles.get(link["roleId"])
        if link.get(key) == identity.id and role is not None and (role.get("realmId") is not None) == realm_bound:
            names.append(role["name"])
    return names


def _permission_claims(state: HubState, identity: Identity) -> list[dict[str, Any]]:
    granted = state.permission_names(identity)
    return [
        {"name": record["name"], "client_id": record.get("clientId"), "realm_id": record.get("realmId")}
        for record in state.table("auth.permissions").values()
        if record["name"] in granted
    ]


def introspect_endpoint(state: HubState) -> Handler:
    """Return the handler of ``GET|POST /token/introspect``."""

    async def handler(request: Request) -> Response:
        parameters = dict(request.query_params)
        if request.method == "POST":
            parameters.update(await read_body(request))
        caller = optional_identity(state, request)

        record = state.tokens.get(str(parameters.get("token") or ""))
        if record is None and caller is not None:
            # Authup falls back to the caller's own bearer token when the given one is unreadable.
            record = state.tokens.get(_bearer(request) or "")
        if record is None:
            return JSONResponse({"active": False})

        body: dict[str, Any] = {"active": record.active}
        if record.active:
            body["permissions"] = _permission_claims(state, record.identity)
        body.update(_claims(state, record, _base_url(request)))
        return JSONResponse(body)

    return handler


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def revoke_endpoint(state: HubState) -> Handler:
    """Return the handler of ``POST /token/revoke``: end the login of the given token; always 200."""

    async def handler(request: Request) -> Response:
        parameters = dict(request.query_params)
        parameters.update(await read_body(request))
        record = state.tokens.get(str(parameters.get("token") or ""))
        if record is not None:
            state.revoke_family(record.family)
        return Response(status_code=200)

    return handler


# -- OpenID documents and self information ---------------------------------------------------------


def userinfo_endpoint(state: HubState) -> Handler:
    """Return the handler of ``GET /userinfo``: the caller's record with its hidden e-mail."""
    from ._auth_entities import CLIENT, USER, present

    async def handler(request: Request) -> Response:
        identity = required_identity(state, request)
        if identity.kind == "user":
            record = state.table("auth.users")[identity.id]
            return JSONResponse(present(USER, record, extra=("email",)))
        if identity.kind == "client":
            return JSONResponse(present(CLIENT, state.table("auth.clients")[identity.id]))
        return JSONResponse({"id": identity.id, "name": identity.name, "realmId": identity.realm_id})

    return handler


def _base_url(request: Request) -> str:
    # The mount point (``/auth``) is the root path; Starlette's ``base_url`` leaves it out.
    root_path = str(request.scope.get("root_path", "")).rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{root_path}"


def openid_configuration_endpoint(state: HubState) -> Handler:
    """Return the handler of the OpenID discovery document (global and per realm)."""

    async def handler(request: Request) -> Response:
        base = _base_url(request)
        realm = request.path_params.get("realm", "master")
        return JSONResponse(
            {
                "issuer": f"{base}/realms/{realm}",
                "authorization_endpoint": f"{base}/authorize",
                "end_session_endpoint": f"{base}/logout",
                "jwks_uri": f"{base}/realms/{realm}/jwks",
                "response_types_supported": ["code"],
                "prompt_values_supported": ["none", "login", "consent", "select_account"],
                "acr_values_supported": ["urn:authup:pwd", "urn:authup:mfa"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "none"],
                "token_endpoint": f"{base}/token",
                "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
                "introspection_endpoint": f"{base}/token/introspect",
                "revocation_endpoint": f"{base}/token/revoke",
                "service_documentation": "https://authup.org/",
                "userinfo_endpoint": f"{base}/userinfo",
            }
        )

    return handler


def jwks_endpoint(state: HubState) -> Handler:
    """Return the handler of ``GET /jwks``: one RSA public key.

    The fake's tokens are opaque strings, not JWTs, so nothing can be verified with this key.
    It only gives clients that read the key set a document of the right shape.
    """
    modulus = base64.urlsafe_b64encode(secrets.token_bytes(256)).rstrip(b"=").decode()
    key = {
        "key_ops": ["verify"],
        "ext": True,
        "alg": "RS256",
        "kty": "RSA",
        "n": modulus,
        "e": "AQAB",
        "kid": state.known.get("master_realm_id", "fake-key"),
    }

    async def handler(request: Request) -> Response:
        return JSONResponse({"keys": [key]})

    return handler


def status_endpoint(state: HubState) -> Handler:
    """Return the handler of ``GET /``: Authup's version and enabled features."""

    async def handler(request: Request) -> Response:
        return JSONResponse(
            {
                "version": AUTHUP_VERSION,
                "date": now_iso(),
                "features": {
                    "registration": False,
                    "passwordRecovery": False,
                    "emailVerification": False,
                    "accountConsole": True,
                },
            }
        )

    return handler
