"""HTTP transport of a Session: one httpx2 client, timeouts, retries with backoff, and request logging."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx2

from .errors import ConfigurationError, HubError, Timeout, TransportError, retry_after_seconds

logger = logging.getLogger(__name__)

# Default timeouts in seconds. Connecting should be quick on any network that reaches the Hub.
# Reads get longer because list and upload responses can take a while on a busy Hub.
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_WRITE_TIMEOUT = 30.0
DEFAULT_POOL_TIMEOUT = 10.0

# Methods that are safe to send again: they change nothing (GET, HEAD) or change the same thing
# twice (DELETE of one record). POST creates or updates and is never re-sent.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "DELETE"})
RETRY_STATUSES = frozenset({429, 502, 503, 504})

TimeoutTypes = float | int | tuple[float, float] | httpx2.Timeout | None


@dataclass(frozen=True)
class Retry:
    """Retry rules of a Session for idempotent requests.

    ``total`` is the number of retries after the first attempt. The wait before retry ``n``
    (1-based) is ``backoff_factor * 2 ** (n - 1)`` seconds, capped at ``backoff_max``, scaled by a
    random factor in [0.5, 1] when ``jitter`` is set. A ``Retry-After`` header or ``retryAfter``
    body field replaces the computed wait when it is longer. No retry starts once the next wait
    would end more than ``max_elapsed`` seconds after the first attempt began.
    """

    total: int = 3
    backoff_factor: float = 0.5
    backoff_max: float = 10.0
    max_elapsed: float = 60.0
    statuses: frozenset[int] = field(default=RETRY_STATUSES)
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.total < 0:
            raise ConfigurationError(f"Retry(total={self.total}) is invalid: pass 0 or a positive count.")
        if self.backoff_factor < 0 or self.backoff_max < 0 or self.max_elapsed < 0:
            raise ConfigurationError("Retry backoff_factor, backoff_max and max_elapsed must not be negative.")
        object.__setattr__(self, "statuses", frozenset(self.statuses))

    def backoff(self, retry_number: int) -> float:
        """Return the wait in seconds before retry ``retry_number`` (1-based), without ``Retry-After``."""
        wait = min(self.backoff_max, self.backoff_factor * (2 ** (retry_number - 1)))
        if self.jitter:
            wait *= random.uniform(0.5, 1.0)
        return wait


DEFAULT_RETRY = Retry()


def build_retry(value: Retry | int | bool | None) -> Retry:
    """Return a ``Retry`` from the ``retries=`` argument of a Session: a ``Retry``, a count, or 0/False/None."""
    if isinstance(value, Retry):
        return value
    if value is None or value is False:
        return Retry(total=0)
    if value is True:
        return DEFAULT_RETRY
    if isinstance(value, int):
        return Retry(total=value)
    raise ConfigurationError(f"retries={value!r} is invalid: pass an int, a flame_hub.Retry, or 0/False to disable.")


def build_timeout(value: TimeoutTypes) -> httpx2.Timeout:
    """Return an httpx2 timeout from a number (all phases), a ``(connect, read)`` pair or an ``httpx2.Timeout``."""
    if isinstance(value, httpx2.Timeout):
        return value
    if value is None:
        return httpx2.Timeout(None)
    if isinstance(value, tuple):
        if len(value) != 2:
            raise ConfigurationError(f"timeout={value!r} is invalid: pass a number or a (connect, read) pair.")
        connect, read = value
        return httpx2.Timeout(connect=connect, read=read, write=read, pool=connect)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return httpx2.Timeout(float(value))
    raise ConfigurationError(f"timeout={value!r} is invalid: pass seconds as a number or a (connect, read) pair.")


DEFAULT_TIMEOUT = httpx2.Timeout(
    connect=DEFAULT_CONNECT_TIMEOUT, read=DEFAULT_READ_TIMEOUT, write=DEFAULT_WRITE_TIMEOUT, pool=DEFAULT_POOL_TIMEOUT
)


def encode_query(params: Iterable[tuple[str, Any]] | dict[str, Any] | None) -> str:
    """Encode query pairs in order, the way the Hub expects them.

    Brackets in keys stay literal (``filter[name]``); values are fully percent-encoded, so ``+``
    travels as ``%2B`` and is not read as a space. ``True``/``False`` become ``true``/``false``;
    pairs whose value is ``None`` are left out.
    """
    if params is None:
        return ""
    pairs = params.items() if isinstance(params, dict) else params
    parts = []
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        parts.append(f"{quote(str(key), safe='[]')}={quote(text, safe='')}")
    return "&".join(parts)


def remember_file_positions(files: Any) -> Callable[[], None]:
    """Return a function that seeks every file object in ``files`` back to its current position.

    A request with uploads is sent again after a token renewal; the file objects were read to
    their end by the first attempt.
    """
    positions: list[tuple[Any, int]] = []
    if files:
        values = files.values() if isinstance(files, dict) else [item[1] for item in files]
        for value in values:
            handle = value[1] if isinstance(value, tuple) and len(value) > 1 else value
            if hasattr(handle, "seek") and hasattr(handle, "tell"):
                try:
                    positions.append((handle, handle.tell()))
                except (OSError, ValueError):
                    continue

    def rewind() -> None:
        for handle, position in positions:
            handle.seek(position)

    return rewind


# Seconds between checks, during a wait before a retry, whether the wait should end early.
_PAUSE_STEP = 0.05

CLOSED_MESSAGE = "This Session is closed; create a new Session to send requests."


class _WhileWaiting:
    """An httpcore trace callback that calls ``task`` once, when the first response starts to be read.

    httpcore reports ``http11.receive_response_headers.started`` (``http2.`` for HTTP/2) after the
    request has been written and before it waits for the response. ``spent`` is the time the task
    took, which the request's own timings leave out. An exception of the task is kept in ``error``,
    because raised inside httpcore it would end the request.
    """

    def __init__(self, task: Callable[[], None]) -> None:
        self.task: Callable[[], None] | None = task
        self.spent = 0.0
        self.error: Exception | None = None

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        task = self.task
        if task is not None and event.endswith(".receive_response_headers.started"):
            self.task = None
            began = time.monotonic()
            try:
                task()
            except Exception as exc:  # noqa: BLE001 - raised by Transport.send once the request ends
                self.error = exc
            finally:
                self.spent = time.monotonic() - began


class Transport:
    """Send requests over one pooled httpx2 client, retrying idempotent ones as ``retry`` allows."""

    def __init__(
        self,
        *,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        retry: Retry | int | bool | None = DEFAULT_RETRY,
        verify: Any = True,
        headers: dict[str, str] | None = None,
        client: httpx2.Client | None = None,
    ) -> None:
        self.timeout = build_timeout(timeout)
        self.retry = build_retry(retry)
        # A client passed in belongs to the caller, who closes it; its own headers and TLS settings apply.
        self._owns_client = client is None
        if client is None:
            client = httpx2.Client(timeout=self.timeout, verify=verify, headers=headers, follow_redirects=False)
        self.client = client
        self._closed = False

    def close(self) -> None:
        self._closed = True
        if self._owns_client:
            self.client.close()

    def send(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        headers: dict[str, str] | None = None,
        json: Any = None,
        content: Any = None,
        files: Any = None,
        data: Any = None,
        timeout: TimeoutTypes | None = None,
        stream: bool = False,
        while_waiting: Callable[[], None] | None = None,
    ) -> httpx2.Response:
        """Send one request and return the response of any status; raise ``TransportError`` or ``Timeout``.

        ``idempotent`` allows retries on connection failures, timeouts and the statuses of ``retry``.
        ``while_waiting`` is called at most once, in this thread, once the request has been sent and
        before its response is read. An exception it raises is raised when the request has ended.
        """
        method = method.upper()
        effective_timeout = self.timeout if timeout is None else build_timeout(timeout)
        retry = self.retry if idempotent else Retry(total=0)
        started = time.monotonic()
        retry_number = 0
        waiting = None if while_waiting is None else _WhileWaiting(while_waiting)
        extensions = None if waiting is None else {"trace": waiting}

        def time_in_task() -> float:
            # The caller's work during the wait counts neither in the logged time nor in max_elapsed.
            return 0.0 if waiting is None else waiting.spent

        while True:
            request = self.client.build_request(
                method,
                url,
                headers=headers,
                json=json,
                content=content,
                files=files,
                data=data,
                timeout=effective_timeout,
                extensions=extensions,
            )
            sent_at = time.monotonic() - time_in_task()
            try:
                response = self.client.send(request, stream=stream)
            except RuntimeError:
                # httpx2 raises RuntimeError for a client closed while another thread was sending.
                if self._closed:
                    raise HubError(CLOSED_MESSAGE) from None
                raise
            except httpx2.TransportError as exc:
                if waiting is not None and waiting.error is not None:
                    raise waiting.error from exc
                if self._closed:
                    raise HubError(CLOSED_MESSAGE) from exc
                # httpx2.TimeoutException is a TransportError too, but it gets its own reason and error class.
                error: TransportError
                if isinstance(exc, httpx2.TimeoutException):
                    reason = _describe_timeout(exc, effective_timeout)
                    message = _timeout_message(method, url, reason, idempotent)
                    error = Timeout(message, url=url, method=method, request=request, reason=reason)
                else:
                    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    message = _failure_message(method, url, reason, exc)
                    error = TransportError(message, url=url, method=method, request=request, reason=reason)

                wait = self._next_wait(retry, retry_number + 1, started + time_in_task(), None)
                if wait is None:
                    raise error from exc
                retry_number += 1
                if self._pause(wait, method, url, reason, retry_number, retry):
                    raise (HubError(CLOSED_MESSAGE) if self._closed else error) from exc
                continue

            elapsed_ms = (time.monotonic() - sent_at - time_in_task()) * 1000
            logger.debug("%s %s -> %d (%.1f ms)", method, url, response.status_code, elapsed_ms)
            if waiting is not None and waiting.error is not None:
                response.close()
                raise waiting.error

            if response.status_code not in retry.statuses:
                return response
            advised = _advised_wait(response, stream)
            wait = self._next_wait(retry, retry_number + 1, started + time_in_task(), advised)
            if wait is None:
                return response
            retry_number += 1
            reason = f"{response.status_code} {response.reason_phrase}"
            if advised is not None:
                reason += f", Retry-After {advised:g} s"
            response.close()
            if self._pause(wait, method, url, reason, retry_number, retry):
                if self._closed:
                    raise HubError(CLOSED_MESSAGE)
                # The body was read above, so the caller can still turn the response into an error.
                return response

    def _pause(self, seconds: float, method: str, url: str, reason: str, retry_number: int, retry: Retry) -> bool:
        """Log the retry and wait ``seconds`` before it.

        Return True instead, at once or before the time is up, when the Transport was closed.
        """
        if self._closed:
            return True
        self._log_retry(method, url, reason, seconds, retry_number, retry)
        deadline = time.monotonic() + seconds
        while True:
            if self._closed:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(remaining, _PAUSE_STEP))

    @staticmethod
    def _next_wait(retry: Retry, retry_number: int, started: float, advised: float | None) -> float | None:
        """Return the wait before retry ``retry_number``, or ``None`` when no retry is left or it would run late."""
        if retry_number > retry.total:
            return None
        wait = retry.backoff(retry_number)
        if advised is not None:
            wait = max(wait, advised)
        if time.monotonic() + wait - started > retry.max_elapsed:
            return None
        return wait

    @staticmethod
    def _log_retry(method: str, url: str, reason: str, wait: float, retry_number: int, retry: Retry) -> None:
        logger.warning(
            "Retrying %s %s in %.2f s (retry %d of %d): %s", method, url, wait, retry_number, retry.total, reason
        )


def _advised_wait(response: httpx2.Response, stream: bool) -> float | None:
    """Return the wait a retryable response advises through ``Retry-After`` or a ``retryAfter`` body field."""
    if stream:
        response.read()
    body: Any = None
    if response.content:
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
    return retry_after_seconds(response, body)


def _describe_timeout(exc: httpx2.TimeoutException, timeout: httpx2.Timeout) -> str:
    if isinstance(exc, httpx2.ConnectTimeout):
        return f"connecting timed out after {timeout.connect} s"
    if isinstance(exc, httpx2.WriteTimeout):
        return f"sending the request body timed out after {timeout.write} s"
    if isinstance(exc, httpx2.PoolTimeout):
        return f"waiting for a free connection timed out after {timeout.pool} s"
    return f"waiting for the response timed out after {timeout.read} s"


def _timeout_message(method: str, url: str, reason: str, idempotent: bool) -> str:
    message = f"{method} {url} failed: {reason}."
    if not idempotent and not reason.startswith(("connecting", "waiting for a free")):
        message += (
            " The Hub may have processed the request and created or changed the record anyway;"
            " check before sending it again."
        )
    else:
        message += " Raise the Session's timeout= or retry later."
    return message


def _failure_message(method: str, url: str, reason: str, exc: Exception) -> str:
    message = f"{method} {url} failed: {reason}."
    if isinstance(exc, httpx2.ConnectError):
        return f"{message} {connect_hint(url)}"
    if method not in IDEMPOTENT_METHODS:
        message += " The Hub may have processed the request anyway; check before sending it again."
    return message


def connect_hint(url: str) -> str:
    """Return the advice for a refused or failed connection to ``url``: which Hub address to check."""
    try:
        parsed = httpx2.URL(url)
        origin = f"{parsed.scheme}://{parsed.netloc.decode('ascii')}"
    except (httpx2.InvalidURL, UnicodeDecodeError):
        origin = url
    return (
        f"Is a Hub running at {origin}? Check the URL given to connect() or Session(), "
        "the FLAME_HUB_URL variable or the --url option."
    )
