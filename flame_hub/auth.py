"""Credentials for a Session: log in at the Hub's token endpoint and keep the access token fresh.

``PasswordAuth`` logs in a user, ``ClientAuth`` an Authup client, ``RobotAuth`` a robot of Hubs
older than Authup 1.0.0-beta.54, and ``StaticAuth`` sends a token obtained elsewhere.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx2

from ._transport import Transport, connect_hint
from .errors import (
    AuthenticationError,
    ConfigurationError,
    ServerError,
    Timeout,
    TransportError,
    parse_error_body,
    retry_after_seconds,
)

if TYPE_CHECKING:
    from ._session import Session

__all__ = ["Auth", "ClientAuth", "PasswordAuth", "RobotAuth", "StaticAuth"]

logger = logging.getLogger(__name__)

# Seconds before expiry at which a token is renewed, at most. Short-lived tokens renew after
# three quarters of their lifetime instead, so a 60 s token renews after 45 s.
RENEWAL_MARGIN = 30.0
# Seconds a throttled login waits when the Hub's 429 response names no wait.
THROTTLE_FALLBACK_WAIT = 5.0

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)

# Codes and OAuth2 error names with which a Hub rejects a grant type it does not know.
_UNSUPPORTED_GRANT = {"unsupported_grant_type", "unsupported_token_grant_type"}

# The message of the 500 response with which the Hub's core and storage services reject an
# expired, revoked or unknown bearer token (they pass Authup's verifier error through).
_INACTIVE_JWT_MESSAGE = "The JWT is not active."


def token_rejection(response: httpx2.Response) -> str | None:
    """Return why ``response`` rejects the bearer token of its request, or ``None`` for other errors."""
    if response.status_code == 401:
        return "401 Unauthorized"
    if response.status_code == 500:
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        if isinstance(body, dict) and body.get("message") == _INACTIVE_JWT_MESSAGE:
            return f"500 {_INACTIVE_JWT_MESSAGE}"
    return None


@dataclass(frozen=True)
class _Token:
    """An access token with the monotonic times at which to renew it and at which it expires."""

    access_token: str
    renew_at: float
    expires_at: float


def _renew_time(sent_at: float, lifetime: float) -> float:
    margin = min(RENEWAL_MARGIN, lifetime / 4)
    return sent_at + lifetime - margin


class Auth(httpx2.Auth):
    """Base class of the credentials a Session sends; subclasses define the login grant.

    ``base_url`` is the URL of the auth service (``https://hub.example/auth/``); ``None`` uses the
    Session's. ``client`` is an httpx2 client for the token requests; without a ``base_url`` they
    go to ``token`` relative to the client's own base URL. One instance keeps one token and
    renews it under a lock, so threads that share a Session log in once.

    Outside a Session the credentials also work as an ``httpx2.Auth``, as the official client's
    do: ``httpx2.Client(auth=PasswordAuth(..., base_url=...))``.
    """

    kind = "anonymous"
    # The flow reads the body of a 500 response to tell a rejected token from other failures.
    requires_response_body = True

    def __init__(self, base_url: str | None = None, client: httpx2.Client | None = None) -> None:
        self.base_url = None if base_url is None else base_url.rstrip("/") + "/"
        self._client = client
        self._own_transport: Transport | None = None
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self._refresh_token: str | None = None
        self._refresh_expires_at = float("inf")
        self._throttled_until = 0.0

    # -- what subclasses define --------------------------------------------------------------

    def _grant_body(self) -> dict[str, Any]:
        raise NotImplementedError

    def _describe(self) -> str:
        """Return who logs in, for messages (``user 'admin'``); never a secret."""
        raise NotImplementedError

    def _hint(self) -> str:
        return "Check the credentials."

    # -- used by Session -------------------------------------------------------------------------

    def token_url(self, session: Session | None) -> str:
        """Return the token endpoint URL: below ``base_url``, else the Session's auth URL, else the client's."""
        if self.base_url is not None:
            return self.base_url + "token"
        if session is not None and session.auth_url is not None:
            return session.service_url("auth") + "token"
        if self._client is not None:
            return "token"
        raise ConfigurationError(
            f"{type(self).__name__} has no URL for the token endpoint: pass base_url= (the auth service, for "
            "example 'https://hub.example/auth/') or use the credentials with a Session that has an auth URL."
        )

    def auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        """Add the bearer token to ``request``; after a rejection renew the token and send it once more."""
        token = self.access_token(None)
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request

        reason = token_rejection(response)
        if reason is None:
            return
        self.reject(token, reason)
        request.headers["Authorization"] = f"Bearer {self.access_token(None)}"
        yield request

    def access_token(self, session: Session | None) -> str:
        """Return a valid access token, logging in or renewing first when it is missing or due."""
        token = self._token
        if token is not None and time.monotonic() < token.renew_at:
            return token.access_token

        with self._lock:
            # Another thread may have renewed the token while this one waited for the lock.
            token = self._token
            if token is not None and time.monotonic() < token.renew_at:
                return token.access_token
            try:
                return self._renew(session)
            except (TransportError, ServerError, AuthenticationError) as exc:
                # A token renewed early is still valid for a while: an unreachable, failing or
                # throttling token endpoint must not fail requests before that time. Rejected
                # credentials still raise at once.
                throttled = isinstance(exc, AuthenticationError) and exc.status_code == 429
                if isinstance(exc, AuthenticationError) and not throttled:
                    raise
                if token is None or time.monotonic() >= token.expires_at:
                    raise
                logger.warning(
                    "Renewing the access token of %s failed (%s); using the current token until it expires.",
                    self._describe(),
                    type(exc).__name__,
                )
                return token.access_token

    def reject(self, access_token: str, reason: str) -> None:
        """Forget ``access_token`` after the Hub rejected it, so the next request logs in again."""
        with self._lock:
            if self._token is not None and self._token.access_token == access_token:
                logger.info("The Hub rejected the access token of %s (%s); renewing it.", self._describe(), reason)
                self._token = None

    def clear(self) -> None:
        """Forget the access and refresh tokens."""
        with self._lock:
            self._token = None
            self._refresh_token = None

    # -- renewal ----------------------------------------------------------------------------------

    def _renew(self, session: Session | None) -> str:
        now = time.monotonic()
        if now < self._throttled_until:
            wait = self._throttled_until - now
            raise AuthenticationError(
                f"The Hub throttled the login of {self._describe()}; no new login is sent for {wait:.1f} s. "
                "Retry after that time.",
                status_code=429,
                code="too_many_requests",
                retry_after=wait,
            )

        if self._refresh_token is not None and now < self._refresh_expires_at:
            refresh_body = {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
            try:
                return self._login(session, refresh_body, "refresh_token")
            except AuthenticationError as exc:
                if exc.status_code == 429:
                    raise
                # Refresh tokens rotate, so a replayed or revoked one is rejected. Log in once afresh.
                logger.warning(
                    "The Hub rejected the refresh token of %s (%s); logging in again.", self._describe(), exc.code
                )
                self._refresh_token = None

        return self._login(session, self._grant_body(), "login")

    def _token_transport(self, session: Session | None) -> Transport:
        """Return the transport for token requests: the Session's, else one over ``client`` or of its own."""
        if session is not None and self._client is None:
            return session._transport
        if self._own_transport is None:
            self._own_transport = Transport(retry=0, client=self._client)
        return self._own_transport

    def _login(self, session: Session | None, body: dict[str, Any], purpose: str) -> str:
        url = self.token_url(session)
        transport = self._token_transport(session)
        sent_at = time.monotonic()
        # Token requests are POSTs and never retried by the transport: the retry rules of the
        # Session apply only to idempotent requests.
        try:
            response = transport.send("POST", url, idempotent=False, json=body)
        except TransportError as exc:
            # The transport's message about records the Hub may have created does not fit a login.
            error_class = Timeout if isinstance(exc, Timeout) else TransportError
            if isinstance(exc.__cause__, httpx2.ConnectError):
                advice = connect_hint(exc.url)
            else:
                advice = "The next request tries to log in again."
            raise error_class(
                f"The token request for {self._describe()} to {exc.url} failed: {exc.reason}. {advice}",
                url=exc.url,
                method="POST",
                request=exc._request,
                reason=exc.reason,
            ) from exc
        url = str(response.url)
        if response.status_code >= 400:
            self._raise_for_token_error(response, url, purpose)

        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("access_token"), str):
            raise AuthenticationError(
                f"The token endpoint {url} returned {response.status_code} without an access_token for "
                f"{self._describe()}; check that this URL is the Hub's auth service.",
                status_code=response.status_code,
                code="invalid_token_response",
            )

        lifetime = payload.get("expires_in")
        if isinstance(lifetime, (int, float)) and not isinstance(lifetime, bool) and lifetime > 0:
            token = _Token(payload["access_token"], _renew_time(sent_at, lifetime), sent_at + lifetime)
        else:
            # NOTE: without expires_in the token is kept until the Hub rejects it.
            token = _Token(payload["access_token"], float("inf"), float("inf"))
        self._token = token

        refresh = payload.get("refresh_token")
        if isinstance(refresh, str) and refresh:
            # Authup rotates refresh tokens: only the newest one may be sent again.
            self._refresh_token = refresh
            refresh_lifetime = payload.get("refresh_token_expires_in")
            if isinstance(refresh_lifetime, (int, float)) and not isinstance(refresh_lifetime, bool):
                self._refresh_expires_at = _renew_time(sent_at, refresh_lifetime)
            else:
                self._refresh_expires_at = float("inf")
        else:
            self._refresh_token = None

        logger.debug("Obtained an access token for %s by %s; it expires in %s s.", self._describe(), purpose, lifetime)
        return token.access_token

    def _raise_for_token_error(self, response: httpx2.Response, url: str, purpose: str) -> None:
        parsed = parse_error_body(response.status_code, response.content)
        status = response.status_code
        action = "Renewing the token" if purpose == "refresh_token" else "Login"

        if status == 429:
            body: Any = None
            try:
                body = response.json()
            except ValueError:
                body = None
            wait = retry_after_seconds(response, body)
            self._throttled_until = time.monotonic() + (THROTTLE_FALLBACK_WAIT if wait is None else wait)
            advice = f"retry after {wait:g} s" if wait is not None else "retry later"
            raise AuthenticationError(
                f"The Hub throttled the login of {self._describe()} at {url}: {parsed.message} [{status} "
                f"{parsed.code}]; {advice}.",
                status_code=status,
                code=parsed.code,
                retry_after=wait,
                error=parsed.error,
            )
        if status >= 500:
            raise ServerError(
                f"The token endpoint {url} failed for {self._describe()}: {parsed.message}",
                status_code=status,
                code=parsed.code,
                issues=parsed.issues,
                error=parsed.error,
            )
        hint = self._hint()
        if status in (404, 405):
            hint = f"Check that {url} is the token endpoint of the Hub's auth service (base_url or auth_url)."
        raise AuthenticationError(
            f"{action} of {self._describe()} at {url} failed: {parsed.message} [{status} {parsed.code}]. {hint}",
            status_code=status,
            code=parsed.code,
            issues=parsed.issues,
            error=parsed.error,
        )


class PasswordAuth(Auth):
    """Log in a user with the password grant; renew with the rotating refresh token.

    ``realm`` is a realm name or id; the Hub logs in to the master realm when it is omitted.
    """

    kind = "user"

    def __init__(
        self,
        username: str,
        password: str,
        base_url: str | None = None,
        *,
        realm: str | None = None,
        client: httpx2.Client | None = None,
    ) -> None:
        super().__init__(base_url, client)
        self.username = username
        self._password = password
        self.realm = realm

    def _grant_body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"grant_type": "password", "username": self.username, "password": self._password}
        if self.realm is not None:
            body["realm_id" if _UUID.match(self.realm) else "realm_name"] = self.realm
        return body

    def _describe(self) -> str:
        if self.realm is None:
            return f"user {self.username!r}"
        return f"user {self.username!r} in realm {self.realm!r}"

    def _hint(self) -> str:
        return "Check the user name, password and realm."

    def __repr__(self) -> str:
        return f"PasswordAuth(username={self.username!r}, realm={self.realm!r}, base_url={self.base_url!r})"


class ClientAuth(Auth):
    """Log in an Authup client (a node or service account) with the client_credentials grant."""

    kind = "client"

    def __init__(
        self, client_id: str, client_secret: str, base_url: str | None = None, *, client: httpx2.Client | None = None
    ) -> None:
        super().__init__(base_url, client)
        self.client_id = client_id
        self._client_secret = client_secret

    def _grant_body(self) -> dict[str, Any]:
        return {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._client_secret}

    def _describe(self) -> str:
        return f"client {self.client_id!r}"

    def _hint(self) -> str:
        return "Check the client id and secret; node and analysis clients log in by id, not by name."

    def __repr__(self) -> str:
        return f"ClientAuth(client_id={self.client_id!r}, base_url={self.base_url!r})"


class RobotAuth(Auth):
    """Log in a robot with the robot_credentials grant of Hubs before Authup 1.0.0-beta.54.

    Newer Hubs reject this grant; use ``ClientAuth`` with a client id and secret there.
    """

    kind = "robot"

    def __init__(
        self, robot_id: str, robot_secret: str, base_url: str | None = None, *, client: httpx2.Client | None = None
    ) -> None:
        super().__init__(base_url, client)
        self.robot_id = robot_id
        self._robot_secret = robot_secret

    def _grant_body(self) -> dict[str, Any]:
        return {"grant_type": "robot_credentials", "id": self.robot_id, "secret": self._robot_secret}

    def _describe(self) -> str:
        return f"robot {self.robot_id!r}"

    def _raise_for_token_error(self, response: httpx2.Response, url: str, purpose: str) -> None:
        parsed = parse_error_body(response.status_code, response.content)
        if parsed.code in _UNSUPPORTED_GRANT or parsed.error in _UNSUPPORTED_GRANT:
            raise AuthenticationError(
                f"The Hub at {url} no longer supports robots: it rejected the robot_credentials grant for "
                f"{self._describe()} [{response.status_code} {parsed.code}]. Robots were removed in Authup "
                "1.0.0-beta.54; log in with flame_hub.auth.ClientAuth(client_id, client_secret) instead.",
                status_code=response.status_code,
                code=parsed.code,
                error=parsed.error,
            )
        super()._raise_for_token_error(response, url, purpose)

    def __repr__(self) -> str:
        return f"RobotAuth(robot_id={self.robot_id!r}, base_url={self.base_url!r})"


class StaticAuth(Auth):
    """Send an access token obtained elsewhere; it is never renewed.

    When the Hub rejects the token, requests raise ``AuthenticationError`` instead of retrying.
    """

    kind = "token"

    def __init__(self, token: str | None = None, *, access_token: str | None = None) -> None:
        super().__init__(None)
        if token is None:
            token = access_token
        elif access_token is not None:
            raise TypeError("Pass the token once: StaticAuth(token) or StaticAuth(access_token=token).")
        if not token:
            raise TypeError("StaticAuth needs a non-empty access token.")
        self._static_token = token

    def access_token(self, session: Session | None) -> str:
        return self._static_token

    def reject(self, access_token: str, reason: str) -> None:
        raise AuthenticationError(
            f"The Hub rejected the access token given to StaticAuth ({reason}). StaticAuth cannot renew "
            "a token: pass a new one, or use PasswordAuth or ClientAuth, which log in again by themselves.",
            status_code=401,
            code="invalid_token",
        )

    def _describe(self) -> str:
        return "a static access token"

    def __repr__(self) -> str:
        return "StaticAuth(token=<hidden>)"
