"""Errors raised inside the fake Hub's handlers and their JSON bodies.

The Hub's core and storage services respond with a flat ``{statusCode, code, message, issues}``
object; Authup serialises its error class instead (``name``, ``message``, ``code``, ``issues``
only when non-empty, an ``@instanceof`` list and extra keys such as OAuth2's ``error``).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

# Base classes every serialised Authup error names in its ``@instanceof`` list.
_AUTHUP_BASES = ["@ebec/core/BaseError", "@authup/errors/AuthupError"]


class FakeHubError(Exception):
    """An error response of the fake Hub; handlers raise it and the service turns it into a body.

    ``name`` and ``instanceof`` only matter for Authup bodies: ``name`` is the error class name
    (``AuthupError`` when ``None``) and ``instanceof`` the markers added after the common bases.
    ``extra`` keys are merged into Authup bodies (for example OAuth2's ``error`` and ``hint``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        issues: list[dict[str, Any]] | None = None,
        *,
        name: str | None = None,
        instanceof: list[str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.issues = issues or []
        self.name = name
        self.instanceof = instanceof
        self.extra = extra or {}


def issue(code: str, path: list[str], message: str, **extra: Any) -> dict[str, Any]:
    """Build one validation issue item in the Hub's shape."""
    item: dict[str, Any] = {"type": "item", "code": code, "path": list(path), "message": message}
    item.update(extra)
    return item


def js_type(value: Any) -> str:
    """Return the JavaScript type name that the validators of the Hub and Authup report for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "string"


def hub_error_body(error: FakeHubError) -> dict[str, Any]:
    """Return the body the Hub's core and storage services send for ``error``."""
    return {"statusCode": error.status, "code": error.code, "message": error.message, "issues": error.issues}


def authup_error_body(error: FakeHubError) -> dict[str, Any]:
    """Return the body Authup sends for ``error``: no ``statusCode``, ``issues`` only when present."""
    name = error.name or "AuthupError"
    body: dict[str, Any] = {"name": name, "message": error.message, "code": error.code}
    if error.issues:
        body["issues"] = error.issues
    markers = list(_AUTHUP_BASES)
    if error.instanceof is not None:
        markers.extend(error.instanceof)
    elif name != "AuthupError":
        markers.append(f"@authup/errors/{name}")
    body["@instanceof"] = markers
    body.update(error.extra)
    return body


def hub_error_response(error: FakeHubError) -> JSONResponse:
    return JSONResponse(hub_error_body(error), status_code=error.status)


def authup_error_response(error: FakeHubError) -> JSONResponse:
    return JSONResponse(authup_error_body(error), status_code=error.status)
