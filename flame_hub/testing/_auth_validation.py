"""Payload validation of the fake Authup: one issue per invalid attribute, in the shape Authup reports.

Only mounted keys survive validation: unknown keys, server-set keys and create-only keys sent on
an update are dropped without an error. An optional key is skipped only when absent; an explicit
``null`` is validated.
"""

from __future__ import annotations

import re
from typing import Any

from ._auth_base import payload_invalid
from ._errors import js_type

_EMAIL_PATTERN = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
_WHITESPACE = re.compile(r"\s")


class Payload:
    """Validate the attributes of one request body and collect the accepted values.

    ``creating`` selects the create rules; on an update every attribute is optional and the
    issues carry ``meta.optional`` like Authup's. Call ``check()`` at the end to raise the 400.
    """

    def __init__(self, body: dict[str, Any], *, creating: bool) -> None:
        self.body = body
        self.creating = creating
        self.values: dict[str, Any] = {}
        self.issues: list[dict[str, Any]] = []

    def _issue(self, key: str, code: str, message: str, *, optional: bool, **extra: Any) -> None:
        item: dict[str, Any] = {"type": "item", "path": [key], "message": message, "code": code}
        item.update(extra)
        if optional:
            item["meta"] = {"optional": True}
        self.issues.append(item)

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        nullable: bool = False,
        min_length: int | None = None,
        max_length: int | None = None,
        name_rule: bool = False,
        lower: bool = False,
        email: bool = False,
    ) -> None:
        """Validate the string attribute ``key``; ``name_rule`` trims, lower-cases and refuses whitespace."""
        optional = not (required and self.creating)
        if key not in self.body:
            if not optional:
                self._issue(
                    key,
                    "required",
                    "Invalid input: expected string, received undefined",
                    optional=False,
                    expected="string",
                )
            return

        value = self.body[key]
        if value is None and nullable:
            self.values[key] = None
            return
        if not isinstance(value, str):
            self._issue(
                key,
                "value_invalid",
                f"Invalid input: expected string, received {js_type(value)}",
                optional=optional,
                expected="string",
            )
            return

        if name_rule:
            value = value.strip()
        if email:
            if not _EMAIL_PATTERN.match(value):
                self._issue(key, "email", "Invalid email address", optional=False)
                return
        if min_length is not None and len(value) < min_length:
            self._issue(
                key,
                "min_length",
                f"Too small: expected string to have >={min_length} characters",
                optional=optional,
                data={"min": min_length},
            )
            return
        if max_length is not None and len(value) > max_length:
            self._issue(
                key,
                "max_length",
                f"Too big: expected string to have <={max_length} characters",
                optional=optional,
                data={"max": max_length},
            )
            return
        if name_rule and _WHITESPACE.search(value):
            self._issue(key, "value_invalid", "Whitespace character is not allowed.", optional=False)
            return
        self.values[key] = value.lower() if (lower or name_rule or email) else value

    def boolean(self, key: str) -> None:
        """Validate the optional boolean attribute ``key``."""
        if key not in self.body:
            return
        value = self.body[key]
        if not isinstance(value, bool):
            self._issue(
                key,
                "value_invalid",
                f"Invalid input: expected boolean, received {js_type(value)}",
                optional=True,
                expected="boolean",
            )
            return
        self.values[key] = value

    def one_of(self, key: str, options: tuple[str, ...], *, nullable: bool = False) -> None:
        """Validate the optional attribute ``key`` against a fixed set of strings."""
        if key not in self.body:
            return
        value = self.body[key]
        if value is None and nullable:
            self.values[key] = None
            return
        if value not in options:
            expected = "|".join(f'"{option}"' for option in options)
            self._issue(key, "one_of_failed", f"Invalid option: expected one of {expected}", optional=True)
            return
        self.values[key] = value

    def reference(self, key: str, *, required: bool = False, nullable: bool = False) -> None:
        """Validate an id attribute such as ``realmId``; whether the record exists is checked later."""
        self.string(key, required=required, nullable=nullable)

    def check(self) -> dict[str, Any]:
        """Return the accepted values, or raise the 400 error listing every issue."""
        if self.issues:
            raise payload_invalid(self.issues)
        return self.values
