"""``FakeHub``: the fake Hub's HTTP server on 127.0.0.1, its request log and fault injection."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs, unquote

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._state import HubState

logger = logging.getLogger(__name__)

T = TypeVar("T")


class DeliberateDrop(ConnectionAbortedError):
    """The connection abort of a ``drop=True`` fault, raised on purpose to cut a response short."""


class _HideDeliberateDrops(logging.Filter):
    """Keep uvicorn from logging a traceback for each ``drop=True`` fault, which is not a server error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DeliberateDrop))


_DROP_FILTER = _HideDeliberateDrops()

# Response body of the reference deployment for a path that no service serves.
NOT_FOUND_BODY = {"status": 404, "message": "Not Found"}


async def not_found(request: Request, exc: Exception) -> Response:
    """Return the 404 response the Hub's HTTP framework sends for an unmatched route."""
    return JSONResponse(NOT_FOUND_BODY, status_code=404)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake Hub received, with the status of its response.

    ``path`` is the full path (``/core/nodes``), ``query`` the raw, still percent-encoded query
    string, ``body`` the parsed JSON body, else the raw bytes (``None`` when empty).
    """

    method: str
    path: str
    query: str
    body: Any
    status: int
    headers: dict[str, str]

    @property
    def query_params(self) -> list[tuple[str, str]]:
        """Return the decoded query as ordered ``(key, value)`` pairs."""
        pairs = []
        for part in self.query.split("&"):
            if not part:
                continue
            key, _, value = part.partition("=")
            pairs.append((unquote(key.replace("+", " ")), unquote(value.replace("+", " "))))
        return pairs


@dataclass
class Fault:
    """A planned misbehaviour for requests matching ``method`` and the glob ``path``.

    ``status`` sends that status with a Hub error body, plus ``Retry-After`` when ``retry_after``
    is set. ``delay`` waits that many seconds first. ``drop`` closes the connection in the middle
    of the response. ``times`` counts the remaining matches. ``query``, when set, maps query
    parameters to the values they must have as well (``{"page[offset]": "50"}``).
    """

    method: str
    path: str
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    drop: bool = False
    times: int = 1
    body: Any = None
    query: Mapping[str, str] | None = None

    def matches(self, method: str, path: str, query: str = "") -> bool:
        if self.times <= 0 or self.method not in ("*", method) or not fnmatch.fnmatchcase(path, self.path):
            return False
        if not self.query:
            return True
        sent = parse_qs(query, keep_blank_values=True)
        return all(value in sent.get(name, ()) for name, value in self.query.items())


class _ObserverMiddleware:
    """Record every request with its answer and apply planned faults before the services see it."""

    def __init__(self, app: ASGIApp, hub: FakeHub) -> None:
        self.app = app
        self.hub = hub

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        method = scope["method"]
        path = scope["path"]

        # Read the whole body first, so the log has it even when no handler reads it (a 404 or a fault).
        chunks: list[bytes] = []
        more_body = True
        while more_body:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more_body = message.get("more_body", False)
        body_replayed = False

        async def replay_body() -> Message:
            nonlocal body_replayed
            if body_replayed:
                return await receive()
            body_replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        status_holder = {"status": 0}
        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self.hub._record(scope, b"".join(chunks), status_holder["status"])

        async def send_and_note(message: Message) -> None:
            # Log before the status line leaves: a response announced with "content-length: 0" is complete
            # for the client at that point, and a client that has its response must find the request logged.
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                record()
            await send(message)

        fault = self.hub._take_fault(method, path, scope.get("query_string", b"").decode("latin-1"))
        try:
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.drop:
                # Promise a body, send part of it and fail: the server closes the connection.
                await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
                await send({"type": "http.response.body", "body": b"{", "more_body": True})
                status_holder["status"] = -1
                raise DeliberateDrop("fake Hub dropped the connection on purpose")
            if fault is not None and fault.status is not None:
                await self._send_fault(fault, send_and_note)
            else:
                await self.app(scope, replay_body, send_and_note)
        finally:
            record()

    @staticmethod
    async def _send_fault(fault: Fault, send: Send) -> None:
        status = fault.status or 500
        body = fault.body
        if body is None:
            body = {
                "statusCode": status,
                "code": "fault_injected",
                "message": "Fault injected by the test.",
                "issues": [],
            }
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(payload)).encode()),
        ]
        if fault.retry_after is not None:
            headers.append((b"retry-after", fault.retry_after.encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


class FakeHub:
    """An in-memory FLAME Hub (auth, core and storage services) served over HTTP on 127.0.0.1.

    Use it as a context manager or call ``start()`` and ``stop()``. ``port=0`` picks a free port.
    ``access_token_lifetime`` and ``refresh_token_lifetime`` are in seconds, so tests can let
    tokens expire quickly. ``legacy_robots=True`` also serves ``/auth/robots`` and the
    ``robot_credentials`` grant, like Hubs before Authup 1.0.0-beta.54.
    """

    admin_username = "admin"
    admin_password = "start123"
    system_client_name = "system"
    system_client_secret = "start123"

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        access_token_lifetime: float = 900.0,
        refresh_token_lifetime: float = 259_200.0,
        legacy_robots: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.state = HubState(
            access_token_lifetime=access_token_lifetime,
            refresh_token_lifetime=refresh_token_lifetime,
            legacy_robots=legacy_robots,
        )
        self.state.reset()
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.app = self._build_app()

    # -- lifecycle --------------------------------------------------------------------------

    def _build_app(self) -> ASGIApp:
        from ._auth import build_auth_app
        from ._core import build_core_app
        from ._storage import build_storage_app

        routes = [
            Mount("/auth", app=build_auth_app(self.state)),
            Mount("/core", app=build_core_app(self.state)),
            Mount("/storage", app=build_storage_app(self.state)),
        ]
        root = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
        return _ObserverMiddleware(root, self)

    def start(self) -> FakeHub:
        """Start serving in a background thread; return once the server accepts connections."""
        if self._thread is not None:
            raise RuntimeError("This FakeHub is already running; call stop() before starting it again.")

        # asyncio turns Nagle's algorithm off only for sockets whose proto is IPPROTO_TCP. With it on, every
        # response waits about 40 ms for the client's delayed ACK between its header and body writes.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="off", access_log=False, timeout_graceful_shutdown=1
        )
        # uvicorn.Config configures its loggers, so the filter is added after it; adding it twice is a no-op.
        logging.getLogger("uvicorn.error").addFilter(_DROP_FILTER)
        server = uvicorn.Server(config)
        self._server = server

        def serve() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(server.serve(sockets=[sock]))
            finally:
                loop.close()
                sock.close()

        self._thread = threading.Thread(target=serve, name=f"FakeHub:{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"The fake Hub failed to start on {self.host}:{self.port}.")
            time.sleep(0.002)
        logger.info("Fake Hub serving at %s", self.url)
        return self

    def stop(self) -> None:
        """Stop the server and wait for its thread; the state is kept."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = None
        self._thread = None
        self._loop = None

    def __enter__(self) -> FakeHub:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def run_in_loop(self, function: Callable[[], T]) -> T:
        """Run ``function`` on the server's event loop thread, so it does not race a request."""
        loop = self._loop
        if loop is None or not loop.is_running():
            return function()

        async def call() -> T:
            return function()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=30)

    def reset(self) -> None:
        """Restore the seeded state and forget logged requests and planned faults."""
        self.run_in_loop(self.state.reset)
        with self._lock:
            self.requests.clear()
            self._faults.clear()

    # -- identities for tests -----------------------------------------------------------------

    def create_realm(self, name: str) -> dict[str, Any]:
        """Create a realm called ``name`` and return a copy of its record."""
        from ._auth import create_realm

        return self.run_in_loop(lambda: create_realm(self.state, name))

    def create_user(
        self, name: str, password: str, *, realm: str = "master", permissions: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Create a user of ``realm`` (name or id) granted ``permissions``; return a copy of its record.

        The user logs in with the password grant; give ``realm_name`` for a realm other than master.
        """
        from ._auth import create_user

        return self.run_in_loop(lambda: create_user(self.state, name, password, realm=realm, permissions=permissions))

    def create_client(
        self, name: str, secret: str | None, *, realm: str = "master", permissions: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """Create a client of ``realm`` that logs in with ``secret`` (generated when ``None``); return its record."""
        from ._auth import create_client

        return self.run_in_loop(lambda: create_client(self.state, name, secret, realm=realm, permissions=permissions))

    def issue_admin_token(self) -> str:
        """Return a new access token of the seeded admin user, without a round trip to the token endpoint."""
        from ._auth import issue_admin_token

        return self.run_in_loop(lambda: issue_admin_token(self.state))

    # -- addresses ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def auth_url(self) -> str:
        return f"{self.url}/auth/"

    @property
    def core_url(self) -> str:
        return f"{self.url}/core/"

    @property
    def storage_url(self) -> str:
        return f"{self.url}/storage/"

    # -- request log and faults ----------------------------------------------------------------

    def _record(self, scope: Scope, raw_body: bytes, status: int) -> None:
        body: Any = None
        if raw_body:
            try:
                body = json.loads(raw_body)
            except ValueError:
                body = raw_body
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope.get("headers", [])}
        record = RecordedRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            body=body,
            status=status,
            headers=headers,
        )
        with self._lock:
            self.requests.append(record)

    def clear_requests(self) -> None:
        """Forget the logged requests."""
        with self._lock:
            self.requests.clear()

    def requests_to(self, path_pattern: str, method: str | None = None) -> list[RecordedRequest]:
        """Return the logged requests whose path matches the glob ``path_pattern`` (and ``method``)."""
        with self._lock:
            return [
                record
                for record in self.requests
                if fnmatch.fnmatchcase(record.path, path_pattern) and (method is None or record.method == method)
            ]

    def add_fault(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        retry_after: float | str | None = None,
        delay: float = 0.0,
        drop: bool = False,
        times: int = 1,
        body: Any = None,
        query: Mapping[str, str] | None = None,
    ) -> Fault:
        """Plan a fault for the next ``times`` requests matching ``method`` (or ``"*"``) and the glob ``path``.

        ``query`` narrows the fault to requests that send each of its parameters with its value.
        """
        if status is None and not delay and not drop:
            raise ValueError("A fault needs a status, a delay or drop=True.")
        fault = Fault(
            method=method.upper(),
            path=path,
            status=status,
            retry_after=None if retry_after is None else str(retry_after),
            delay=delay,
            drop=drop,
            times=times,
            body=body,
            query=None if query is None else {str(name): str(value) for name, value in query.items()},
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take_fault(self, method: str, path: str, query: str = "") -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path, query):
                    fault.times -= 1
                    return fault
        return None
