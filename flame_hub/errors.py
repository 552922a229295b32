"""Exceptions raised by flame-hub, and the parsing of the Hub's and Authup's error bodies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2

__all__ = [
    "AuthenticationError",
    "BadRequest",
    "ConfigurationError",
    "Conflict",
    "ErrorResponse",
    "HubAPIError",
    "HubError",
    "MultipleObjectsReturned",
    "NotFound",
    "ObjectDoesNotExist",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "Timeout",
    "TransportError",
    "Unauthorized",
    "error_from_response",
    "format_issue",
    "parse_error_body",
    "retry_after_seconds",
]


class HubError(Exception):
    """Base class of every exception that flame-hub raises."""


class ConfigurationError(HubError, ValueError):
    """A Session or connect() call lacks a URL or credentials, or got an invalid option."""


@dataclass(frozen=True)
class ErrorResponse:
    """The parsed error body of a Hub or Authup response.

    ``issues`` contains the validation issues as sent (dicts with ``path``, ``message``, ``code``).
    ``error`` is the OAuth2 error name that Authup adds to token endpoint errors.
    """

    status_code: int | None
    code: str
    message: str
    issues: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


class HubAPIError(HubError, httpx2.HTTPError):
    """The Hub returned an error status (4xx or 5xx).

    ``request`` and ``response`` are the httpx2 objects of the failed exchange; they are
    ``None`` when the error was not built from an HTTP response. ``message`` is the Hub's own
    message; ``hint`` is this library's advice on what to check, shown after it, or ``None``.
    It derives from ``httpx2.HTTPError``, not from ``httpx.HTTPError`` as the official client's
    error does, so ``except httpx.HTTPError`` must become ``except flame_hub.HubError``.
    """

    default_status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        issues: list[dict[str, Any]] | None = None,
        request: httpx2.Request | None = None,
        response: httpx2.Response | None = None,
        error: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.status_code = status_code if status_code is not None else self.default_status
        self.code = code or _code_for_status(self.status_code)
        self.message = message
        self.issues = list(issues or [])
        self.response = response
        self.error = error
        self.hint = hint
        super().__init__(self._render())
        # Set after httpx2.HTTPError.__init__, which resets the request to None.
        self.request = request

    @property  # type: ignore[override]
    def request(self) -> httpx2.Request | None:
        """The request that failed, or ``None`` when the error was not built from an HTTP response."""
        return self._request

    @request.setter
    def request(self, request: httpx2.Request | None) -> None:
        self._request = request

    @property
    def headers(self) -> httpx2.Headers:
        """The headers of the error response; empty when there was none."""
        if self.response is None:
            return httpx2.Headers()
        return self.response.headers

    @property
    def error_response(self) -> ErrorResponse:
        """The error fields as one object, spelled like the official client's ``error_response``."""
        return ErrorResponse(self.status_code, self.code, self.message, self.issues, self.error)

    def _render(self) -> str:
        head = self.message or "The Hub returned an error without a message."
        if self.status_code is not None:
            head = f"{head} [{self.status_code} {self.code}]"
        if self.hint:
            head = f"{head} {self.hint}"
        lines = [head]
        lines.extend(f"  - {format_issue(item)}" for item in _flatten_issues(self.issues))
        return "\n".join(lines)


class BadRequest(HubAPIError):
    """The Hub rejected the request as invalid (400); ``issues`` names each bad attribute."""

    default_status = 400


class Unauthorized(HubAPIError):
    """The Hub did not accept the credentials of the request (401)."""

    default_status = 401


class PermissionDenied(HubAPIError):
    """The identity may not do this (403)."""

    default_status = 403


class NotFound(HubAPIError):
    """The record or route does not exist (404)."""

    default_status = 404


class ObjectDoesNotExist(NotFound):
    """A query that had to return one record found none; each model's ``DoesNotExist`` subclasses it."""


class Conflict(HubAPIError):
    """A record with the same unique attributes already exists (409)."""

    default_status = 409


class RateLimited(HubAPIError):
    """The Hub throttled the request (429); ``retry_after`` is the advised wait in seconds, if sent."""

    default_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(HubAPIError):
    """The Hub failed to handle the request (5xx)."""

    default_status = 500


class AuthenticationError(HubAPIError):
    """Logging in or renewing a token failed; the message names the credentials and the reason.

    ``status_code`` and ``code`` are those of the token endpoint's response when there was one.
    ``request`` and ``response`` are left ``None`` because the token request carries secrets.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)

    def _render(self) -> str:
        # The message already names the credentials and the Hub's response.
        return self.message


class MultipleObjectsReturned(HubError):
    """A query that had to return one record found several."""


class TransportError(HubError, httpx2.TransportError):
    """The request failed below HTTP (connection refused, reset, dropped); ``url`` is its target.

    ``reason`` names the failure without the advice of the message.

    It is also an ``httpx2.TransportError``; the official client lets ``httpx.TransportError``
    through instead, so handlers of that one must catch this class.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        method: str | None = None,
        request: httpx2.Request | None = None,
        reason: str | None = None,
    ) -> None:
        self.url = url
        self.method = method
        # The failure alone ("connecting timed out after 5.0 s"), for messages that wrap this error.
        self.reason = reason or message
        super().__init__(message, request=request)


class Timeout(TransportError, httpx2.TimeoutException):
    """The request timed out while connecting, sending, waiting for or reading the response."""


_STATUS_CLASSES: dict[int, type[HubAPIError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    429: RateLimited,
}


def _code_for_status(status: int | None) -> str:
    """Return a snake_case code for a status, used when the body names none (``service_unavailable``)."""
    if status is None:
        return "error"
    try:
        phrase = httpx2.codes(status).phrase
    except ValueError:
        return f"http_{status}"
    return phrase.lower().replace(" ", "_").replace("-", "_").replace("'", "")


def _flatten_issues(issues: list[Any]) -> list[dict[str, Any]]:
    """Return the issue items of ``issues`` in order, with the items of nested groups inlined."""
    flat: list[dict[str, Any]] = []
    for item in issues:
        if not isinstance(item, dict):
            flat.append({"message": str(item)})
            continue
        nested = item.get("issues")
        if item.get("type") == "group" and isinstance(nested, list) and nested:
            flat.extend(_flatten_issues(nested))
        else:
            flat.append(item)
    return flat


def format_issue(issue: dict[str, Any]) -> str:
    """Render one validation issue as ``name: too short (path: name)``."""
    path = issue.get("path") or []
    if not isinstance(path, list):
        path = [path]
    dotted = ".".join(str(part) for part in path)
    message = str(issue.get("message") or issue.get("code") or "invalid")
    if not dotted:
        return message
    return f"{path[-1]}: {message} (path: {dotted})"


def parse_error_body(status_code: int, content: bytes) -> ErrorResponse:
    """Parse an error body of the Hub (``statusCode, code, message, issues``) or of Authup.

    Authup sends ``name, message, code, issues?, error?`` and no ``statusCode``. Bodies that are
    empty, HTML or otherwise not a JSON object fall back to the status: the code becomes the
    status phrase in snake_case and the message a short excerpt of the body.
    """
    data: Any = None
    if content:
        try:
            data = json.loads(content)
        except ValueError:
            data = None

    if not isinstance(data, dict):
        return ErrorResponse(status_code, _code_for_status(status_code), _describe_body(status_code, content))

    error = data.get("error") if isinstance(data.get("error"), str) else None
    code = data.get("code") if isinstance(data.get("code"), str) and data.get("code") else None
    code = code or error or _code_for_status(status_code)
    message = data.get("message")
    if not isinstance(message, str) or not message:
        message = data.get("error_description") if isinstance(data.get("error_description"), str) else None
    raw_issues = data.get("issues")
    issues: list[dict[str, Any]] = raw_issues if isinstance(raw_issues, list) else []
    return ErrorResponse(status_code, code, message or _describe_body(status_code, b""), issues, error)


def _describe_body(status_code: int, content: bytes) -> str:
    """Return a message for an error response whose body has no usable message."""
    try:
        phrase = httpx2.codes(status_code).phrase
    except ValueError:
        phrase = "Error"
    if not content.strip():
        return f"{phrase} (the Hub sent an empty body)."
    excerpt = " ".join(content[:200].decode("utf-8", "replace").split())
    return f"{phrase} (the Hub sent a body that is not JSON: {excerpt!r})."


def retry_after_seconds(response: httpx2.Response, body: Any = None) -> float | None:
    """Return the wait advised by ``Retry-After`` (seconds or an HTTP date) or a ``retryAfter`` body field."""
    header = response.headers.get("retry-after")
    if header:
        header = header.strip()
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())

    if isinstance(body, dict):
        value = body.get("retryAfter")
        # NOTE: the unit of Authup's ``retryAfter`` field is unconfirmed; it is read as seconds.
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return None


def error_from_response(response: httpx2.Response, *, message_prefix: str | None = None) -> HubAPIError:
    """Build the exception for an error response: the subclass follows the status code."""
    status = response.status_code
    content = response.content
    parsed = parse_error_body(status, content)
    message = parsed.message if message_prefix is None else f"{message_prefix}: {parsed.message}"

    common: dict[str, Any] = {
        "status_code": status,
        "code": parsed.code,
        "issues": parsed.issues,
        "request": response.request if _has_request(response) else None,
        "response": response,
        "error": parsed.error,
    }
    if status == 429:
        body: Any = None
        try:
            body = json.loads(content) if content else None
        except ValueError:
            body = None
        return RateLimited(message, retry_after=retry_after_seconds(response, body), **common)
    error_class = _STATUS_CLASSES.get(status)
    if error_class is None:
        error_class = ServerError if status >= 500 else HubAPIError
    if status == 400 and _is_permission_failure(parsed):
        # The core and storage services respond to a missing permission with 400 and a permission issue.
        error_class = PermissionDenied
    request = common["request"]
    if status == 404 and parsed.code != "entity_not_found" and request is not None:
        common["hint"] = _route_404_hint(request)
    elif status == 409 and request is not None:
        common["hint"] = _conflict_hint(request)
    return error_class(message, **common)


def _route_404_hint(request: httpx2.Request) -> str:
    """Return the advice for a 404 that is not about a missing record: no route of the Hub matched the URL."""
    return (
        f"No route of the Hub matches {request.method} {request.url}. Check the service URL: the "
        "Hub URL given to connect() has /auth/, /core/ and /storage/ below it, and a client's base_url ends "
        "in its service, such as http://localhost:3000/core/."
    )


# Request fields that can hold a secret; their values never appear in messages.
_SECRET_FIELD_MARKERS = ("password", "secret", "token", "key")


def _conflict_hint(request: httpx2.Request) -> str | None:
    """Return the values that the request sent, for a 409, because the Hub does not name the conflicting field."""
    try:
        body = json.loads(request.content)
    except (ValueError, httpx2.RequestNotRead):
        return None
    if not isinstance(body, dict):
        return None

    sent_values = [
        f"{name}={value!r}"
        for name, value in body.items()
        if isinstance(value, (str, int)) and not any(marker in name.lower() for marker in _SECRET_FIELD_MARKERS)
    ]
    if not sent_values:
        return None
    return (
        f"The request sent {', '.join(sent_values)[:300]}; another record already has the unique ones "
        "among them (often the name)."
    )


_PERMISSION_ISSUE_CODES = frozenset({"permission_not_found", "permission_evaluation_failed"})


def _is_permission_failure(parsed: ErrorResponse) -> bool:
    """Return whether an error body reports a missing permission, by its code or an issue code."""
    if parsed.code in _PERMISSION_ISSUE_CODES:
        return True
    return any(issue.get("code") in _PERMISSION_ISSUE_CODES for issue in _flatten_issues(parsed.issues))


def _has_request(response: httpx2.Response) -> bool:
    try:
        return response.request is not None
    except RuntimeError:
        return False
