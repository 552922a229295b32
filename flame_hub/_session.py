"""The Session: one connection pool to a Hub's auth, core and storage services, and the default Session."""

from __future__ import annotations

import atexit
import contextvars
import json as jsonlib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx2

from ._transport import (
    CLOSED_MESSAGE,
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    Retry,
    TimeoutTypes,
    Transport,
    encode_query,
    remember_file_positions,
)
from .auth import Auth, ClientAuth, PasswordAuth, StaticAuth, token_rejection
from .errors import ConfigurationError, HubError, error_from_response

if TYPE_CHECKING:
    from ._identity import IdentityMap

__all__ = ["Session", "connect", "get_default_session"]

logger = logging.getLogger(__name__)

SERVICES = ("auth", "core", "storage")
LAZY_MODES = ("select", "raise")
USER_AGENT = "flame-hub/0.1"


def _service_base(url: str) -> str:
    """Return ``url`` with exactly one trailing slash, so relative paths append to its path."""
    return url.rstrip("/") + "/"


def _check_scheme(name: str, url: str) -> None:
    """Raise ``ConfigurationError`` unless ``url`` starts with ``http://`` or ``https://``."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        suggestion = f" such as 'http://{url}'" if isinstance(url, str) and "://" not in url else ""
        raise ConfigurationError(
            f"{name}={url!r} is invalid: a Hub URL starts with http:// or https://. Pass the full URL{suggestion}."
        )


class Session:
    """A connection to one FLAME Hub: its auth, core and storage services share one httpx2 client.

    ``url`` is the Hub's address; the services are then ``{url}/auth/``, ``{url}/core/`` and
    ``{url}/storage/``. ``auth_url``, ``core_url`` and ``storage_url`` override single services.
    ``timeout`` is seconds for every phase, a ``(connect, read)`` pair or an ``httpx2.Timeout``;
    ``retries`` is a count, a ``flame_hub.Retry`` or ``0``/``False`` to turn retries off.
    ``cache_ttl`` and ``cache_size`` configure the identity map; ``lazy`` is ``"select"`` (load
    relations on access) or ``"raise"`` (forbid hidden requests). With ``read_ahead``, a list
    requests its next page before it returns the rows of the current one, and turns those rows
    into objects while the Hub prepares that page. ``client`` is an
    httpx2 client to send through instead of a new one; the caller keeps and closes it.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        auth: Auth | None = None,
        auth_url: str | None = None,
        core_url: str | None = None,
        storage_url: str | None = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        retries: Retry | int | bool | None = DEFAULT_RETRY,
        cache_ttl: float = 60.0,
        cache_size: int = 1024,
        lazy: str = "select",
        read_ahead: bool = True,
        verify: Any = True,
        client: httpx2.Client | None = None,
    ) -> None:
        if url is None and auth_url is None and core_url is None and storage_url is None:
            raise ConfigurationError(
                "Session needs the Hub URL: pass Session('https://hub.example') or the auth_url, core_url "
                "and storage_url of the services."
            )
        if not isinstance(read_ahead, bool):
            raise ConfigurationError(f"read_ahead={read_ahead!r} is invalid: pass True or False.")
        if lazy not in LAZY_MODES:
            raise ConfigurationError(f"lazy={lazy!r} is invalid: pass 'select' or 'raise'.")
        if auth is not None and not isinstance(auth, Auth):
            raise ConfigurationError(
                f"auth={type(auth).__name__} is invalid: pass a flame_hub.auth object such as PasswordAuth."
            )

        for name, value in (("url", url), ("auth_url", auth_url), ("core_url", core_url), ("storage_url", storage_url)):
            if value is not None:
                _check_scheme(name, value)

        self.url = None if url is None else url.rstrip("/")
        self._service_urls: dict[str, str | None] = {}
        for service, explicit in zip(SERVICES, (auth_url, core_url, storage_url), strict=True):
            if explicit is not None:
                self._service_urls[service] = _service_base(explicit)
            elif self.url is not None:
                self._service_urls[service] = f"{self.url}/{service}/"
            else:
                self._service_urls[service] = None

        self.auth = auth
        self.lazy = lazy
        self.read_ahead = read_ahead
        self.cache_ttl = cache_ttl
        self.cache_size = cache_size
        self._identity_map: IdentityMap | None = None
        self._identity_lock = threading.Lock()
        self._transport = Transport(
            timeout=timeout, retry=retries, verify=verify, headers={"User-Agent": USER_AGENT}, client=client
        )
        self._closed = False

    # -- magic methods ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        where = self.url or self._service_urls.get("core") or self._service_urls.get("auth")
        identity = self.auth.kind if self.auth is not None else "anonymous"
        return f"<Session url={where!r} identity={identity}>"

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- configuration ----------------------------------------------------------------------------

    @property
    def timeout(self) -> httpx2.Timeout:
        """The default timeouts of every request, overridable per call with ``timeout=``."""
        return self._transport.timeout

    @property
    def retry(self) -> Retry:
        """The retry rules for idempotent requests."""
        return self._transport.retry

    @property
    def auth_url(self) -> str | None:
        return self._service_urls["auth"]

    @property
    def core_url(self) -> str | None:
        return self._service_urls["core"]

    @property
    def storage_url(self) -> str | None:
        return self._service_urls["storage"]

    def service_url(self, service: str) -> str:
        """Return the base URL of ``service`` (``"auth"``, ``"core"`` or ``"storage"``), ending in ``/``."""
        if service not in self._service_urls:
            raise ConfigurationError(f"Unknown service {service!r}: use 'auth', 'core' or 'storage'.")
        base = self._service_urls[service]
        if base is None:
            raise ConfigurationError(
                f"This Session has no URL for the {service} service: pass url= or {service}_url= to Session."
            )
        return base

    def build_url(self, service: str, path: str, params: Any = None) -> str:
        """Return the URL of ``path`` under ``service``, keeping the base URL's own path prefix."""
        url = self.service_url(service) + path.lstrip("/")
        query = encode_query(params)
        if query:
            url += ("&" if "?" in url else "?") + query
        return url

    # -- identity map ----------------------------------------------------------------------------

    @property
    def identity_map(self) -> IdentityMap:
        """The identity map of this Session, created on first use from ``cache_ttl`` and ``cache_size``."""
        if self._identity_map is None:
            with self._identity_lock:
                if self._identity_map is None:
                    from ._identity import IdentityMap

                    self._identity_map = IdentityMap(self.cache_ttl, self.cache_size)
        return self._identity_map

    def expunge(self, obj: Any) -> None:
        """Remove ``obj`` from the identity map."""
        self.identity_map.expunge(obj)

    def clear(self) -> None:
        """Empty the identity map."""
        self.identity_map.clear()

    # -- requests --------------------------------------------------------------------------------

    def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        files: Any = None,
        content: Any = None,
        headers: dict[str, str] | None = None,
        timeout: TimeoutTypes | None = None,
        stream: bool = False,
        data: Any = None,
        while_waiting: Callable[[], None] | None = None,
    ) -> httpx2.Response:
        """Send a request to ``service`` and return the response; raise ``flame_hub.errors`` for failures.

        ``path`` is relative to the service (``"nodes/ID"``); ``params`` is a list of
        ``(key, value)`` pairs, sent in order. GET, HEAD and DELETE of one record are retried as
        the Session's ``retries`` allow; other requests are sent once. A rejected token is
        renewed and the request sent once more. With ``stream=True`` the body of a successful
        response is not read: read it and close the response. ``while_waiting`` is called at most
        once, after the request has been sent and before its response is read. A transport that
        does not report that moment, such as ``httpx2.MockTransport``, never calls it. Work done there
        overlaps with the Hub's. An exception it raises is raised when the request has ended.
        """
        if self._closed:
            raise HubError(CLOSED_MESSAGE)

        method = method.upper()
        url = self.build_url(service, path, params)
        # NOTE: when a retried DELETE lost the response to an attempt that succeeded, the retry
        # raises NotFound although the record was deleted.
        idempotent = method in ("GET", "HEAD") or (method == "DELETE" and _names_one_record(path))
        rewind = remember_file_positions(files)
        renewed = False

        while True:
            request_headers = dict(headers or {})
            token = None
            if self.auth is not None:
                token = self.auth.access_token(self)
                request_headers["Authorization"] = f"Bearer {token}"

            response = self._transport.send(
                method,
                url,
                idempotent=idempotent,
                headers=request_headers,
                json=json,
                content=content,
                files=files,
                data=data,
                timeout=timeout,
                stream=stream,
                while_waiting=while_waiting,
            )
            # A request sent again after a token renewal has no work left to overlap.
            while_waiting = None
            if response.status_code < 400:
                return response
            if stream:
                response.read()
                response.close()

            rejection = token_rejection(response)
            if token is None or self.auth is None or rejection is None:
                raise error_from_response(response)
            if renewed:
                raise error_from_response(response, message_prefix="The Hub rejected a freshly obtained token")

            # The Hub rejected the token before handling the request, so sending it again is safe.
            self.auth.reject(token, rejection)
            renewed = True
            rewind()

    def request_json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request like ``request()`` and return the parsed JSON body, or ``None`` when it is empty."""
        response = self.request(service, method, path, **kwargs)
        content = response.content
        if not content.strip():
            return None
        try:
            return jsonlib.loads(content)
        except ValueError:
            excerpt = " ".join(content[:120].decode("utf-8", "replace").split())
            raise HubError(
                f"{method.upper()} {response.url} returned {response.status_code} with a body that is not JSON: "
                f"{excerpt!r}. Check that the Session's URL points at the Hub."
            ) from None

    @property
    def is_closed(self) -> bool:
        """Whether ``close()`` was called. A closed Session sends no more requests."""
        return self._closed

    def close(self) -> None:
        """Close the connection pool and empty the identity map.

        The Session sends no more requests afterwards. Objects loaded through the Session keep their
        values. Emptying the map lets Python free the cached objects as soon as nothing else
        references them.
        """
        self._closed = True
        self._transport.close()
        if self._identity_map is not None:
            self._identity_map.clear()

    # -- default session -------------------------------------------------------------------------

    @contextmanager
    def activate(self) -> Iterator[Session]:
        """Make this Session the default one inside a ``with`` block, in the current thread or task."""
        reset_token = _current_session.set(self)
        try:
            yield self
        finally:
            _current_session.reset(reset_token)


def _names_one_record(path: str) -> bool:
    """Return whether ``path`` addresses one record (``nodes/ID``) rather than a collection (``analysis-logs``)."""
    segments = [segment for segment in path.split("?", 1)[0].split("/") if segment]
    return len(segments) >= 2


# -- the default Session ----------------------------------------------------------------------------

_current_session: contextvars.ContextVar[Session | None] = contextvars.ContextVar("flame_hub_session", default=None)
_global_session: Session | None = None
_global_lock = threading.Lock()


def set_default_session(session: Session | None) -> None:
    """Make ``session`` the default Session of every thread that has not activated another one."""
    global _global_session
    with _global_lock:
        _global_session = session


def get_default_session() -> Session:
    """Return the active Session: the one of ``session.activate()``, else the one of ``connect()``."""
    session = _current_session.get()
    if session is not None:
        return session
    session = _global_session
    if session is None:
        raise HubError(
            "No default Session is set: call flame_hub.connect(url, auth=...) first, or pass a Session "
            "with Model.objects.using(session)."
        )
    return session


ENV_URL = "FLAME_HUB_URL"
ENV_USERNAME = "FLAME_HUB_USERNAME"
ENV_PASSWORD = "FLAME_HUB_PASSWORD"
ENV_REALM = "FLAME_HUB_REALM"
ENV_CLIENT_ID = "FLAME_HUB_CLIENT_ID"
ENV_CLIENT_SECRET = "FLAME_HUB_CLIENT_SECRET"
ENV_TOKEN = "FLAME_HUB_TOKEN"


def _auth_from_environment() -> Auth:
    """Build credentials from the environment: a token, else a client, else a user."""
    env = os.environ
    token = env.get(ENV_TOKEN)
    if token:
        return StaticAuth(token)

    client_id, client_secret = env.get(ENV_CLIENT_ID), env.get(ENV_CLIENT_SECRET)
    if client_id or client_secret:
        if not (client_id and client_secret):
            missing = ENV_CLIENT_SECRET if client_id else ENV_CLIENT_ID
            raise ConfigurationError(
                f"{missing} is not set: set both {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or pass auth= to connect()."
            )
        return ClientAuth(client_id, client_secret)

    username, password = env.get(ENV_USERNAME), env.get(ENV_PASSWORD)
    if username or password:
        if not (username and password):
            missing = ENV_PASSWORD if username else ENV_USERNAME
            raise ConfigurationError(
                f"{missing} is not set: set both {ENV_USERNAME} and {ENV_PASSWORD}, or pass auth= to connect()."
            )
        return PasswordAuth(username, password, realm=env.get(ENV_REALM) or None)

    raise ConfigurationError(
        f"No credentials for the Hub: pass auth= to connect(), or set {ENV_USERNAME} and {ENV_PASSWORD}, "
        f"{ENV_CLIENT_ID} and {ENV_CLIENT_SECRET}, or {ENV_TOKEN}, or add them to a profile of the config file."
    )


def connect(url: str | None = None, *, auth: Auth | None = None, profile: str | None = None, **kwargs: Any) -> Session:
    """Create a Session and make it the default one.

    Omitted arguments come from the environment: ``FLAME_HUB_URL``; credentials from
    ``FLAME_HUB_TOKEN``, else ``FLAME_HUB_CLIENT_ID``/``FLAME_HUB_CLIENT_SECRET``, else
    ``FLAME_HUB_USERNAME``/``FLAME_HUB_PASSWORD`` (with ``FLAME_HUB_REALM``). What the
    environment lacks comes from a profile of the config file that the command line reads:
    ``profile``, else ``FLAME_HUB_PROFILE``, else the file's default profile. Other keyword
    arguments go to ``Session``. The default Session is closed when the interpreter exits.
    """
    service_urls_given = any(kwargs.get(name) for name in ("auth_url", "core_url", "storage_url"))
    if url is None:
        url = os.environ.get(ENV_URL) or None
    needs_credentials = auth is None and not _environment_names_identity()
    if profile is not None or os.environ.get(ENV_PROFILE) or needs_credentials or url is None:
        url, auth = _apply_profile(profile, url, auth, kwargs)
    if url is None and not service_urls_given:
        raise ConfigurationError(
            f"No Hub URL: pass connect(url), set {ENV_URL}, or add url to a profile of the config file."
        )
    if auth is None:
        auth = _auth_from_environment()

    session = Session(url, auth=auth, **kwargs)
    set_default_session(session)
    _close_at_exit(session)
    return session


ENV_PROFILE = "FLAME_HUB_PROFILE"


def _environment_names_identity() -> bool:
    """Return whether the environment names a token, a client or a user to log in as."""
    names = (ENV_TOKEN, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_USERNAME, ENV_PASSWORD)
    return any(os.environ.get(name) for name in names)


def _apply_profile(
    profile: str | None, url: str | None, auth: Auth | None, kwargs: dict[str, Any]
) -> tuple[str | None, Auth | None]:
    """Fill ``url``, ``auth`` and the timeout and TLS options that are still unset from a config-file profile."""
    # Imported here because the config module needs tomli on Python 3.10, which only this path uses.
    from ._config import resolve_settings

    settings = resolve_settings({"url": url}, profile)
    if settings.profile is None:
        return url, auth

    if url is None:
        url = settings.url
    if auth is None and settings.kind is not None:
        auth = settings.build_auth()
    if "timeout" not in kwargs and settings.timeout is not None:
        kwargs["timeout"] = settings.timeout
    if "verify" not in kwargs and settings.verify is not True:
        kwargs["verify"] = settings.verify
    return url, auth


# Sessions of connect() that are still open; each is closed when the interpreter exits, so a
# script that never calls close() leaves no socket open. Weak references let closed sessions go.
_sessions_to_close: weakref.WeakSet[Session] = weakref.WeakSet()
_exit_handler_registered = False


def _close_at_exit(session: Session) -> None:
    global _exit_handler_registered
    with _global_lock:
        _sessions_to_close.add(session)
        if not _exit_handler_registered:
            atexit.register(_close_sessions)
            _exit_handler_registered = True


def _close_sessions() -> None:
    for session in list(_sessions_to_close):
        session.close()
