"""Connection settings for the command line: options, then environment variables, then a profile of the config file.

The config file is ``$XDG_CONFIG_HOME/flame-hub/config.toml`` (``~/.config/flame-hub/config.toml``
by default, ``FLAME_HUB_CONFIG`` overrides the path) with one table per Hub::

    default_profile = "local"

    [profiles.local]
    url = "http://127.0.0.1:3000"
    username = "admin"
    password = "start123"

    [profiles.production]
    url = "https://hub.example.org"
    client_id = "6f1c0b6e-..."
    client_secret = "..."
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .auth import Auth, ClientAuth, PasswordAuth, StaticAuth
from .errors import ConfigurationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["CONFIG_ENV", "PROFILE_ENV", "ConnectionSettings", "config_path", "load_profile", "resolve_settings"]

logger = logging.getLogger(__name__)

CONFIG_ENV = "FLAME_HUB_CONFIG"
PROFILE_ENV = "FLAME_HUB_PROFILE"

# Setting name -> environment variable, the same names that flame_hub.connect() reads.
ENVIRONMENT = {
    "url": "FLAME_HUB_URL",
    "username": "FLAME_HUB_USERNAME",
    "password": "FLAME_HUB_PASSWORD",
    "realm": "FLAME_HUB_REALM",
    "client_id": "FLAME_HUB_CLIENT_ID",
    "client_secret": "FLAME_HUB_CLIENT_SECRET",
    "token": "FLAME_HUB_TOKEN",
}

# The kinds of credentials and their settings. The source with the highest precedence that names
# an identity (token, client_id or username) decides the kind. The settings of the other kinds are
# dropped, so a token in the config file never overrides --username given on the command line.
CREDENTIAL_KINDS = {
    "token": ("token",),
    "client": ("client_id", "client_secret"),
    "user": ("username", "password", "realm"),
}
IDENTITY_SETTINGS = {"token": "token", "client": "client_id", "user": "username"}

PROFILE_KEYS = frozenset(ENVIRONMENT) | {"timeout", "verify"}


@dataclass
class ConnectionSettings:
    """The URL of a Hub and the credentials to log in with, with the source of each value for messages."""

    url: str | None = None
    username: str | None = None
    password: str | None = None
    realm: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    token: str | None = None
    timeout: float | None = None
    verify: bool | str = True
    profile: str | None = None
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        """The kind of credentials: ``"token"``, ``"client"``, ``"user"`` or ``None`` when there are none."""
        for kind, name in IDENTITY_SETTINGS.items():
            if getattr(self, name):
                return kind
        return None

    def build_auth(self) -> Auth:
        """Return the credentials as a ``flame_hub.auth`` object; raise ``ConfigurationError`` when incomplete."""
        kind = self.kind
        if kind == "token":
            return StaticAuth(self.token)
        if kind == "client":
            if not self.client_secret:
                raise ConfigurationError(
                    f"The client id {self.client_id!r} has no secret: pass --client-secret, set "
                    f"{ENVIRONMENT['client_secret']} or add client_secret to the profile."
                )
            return ClientAuth(self.client_id or "", self.client_secret)
        if kind == "user":
            if not self.password:
                raise ConfigurationError(
                    f"The user {self.username!r} has no password: pass --password, set "
                    f"{ENVIRONMENT['password']} or add password to the profile."
                )
            return PasswordAuth(self.username or "", self.password, realm=self.realm or None)
        raise ConfigurationError(
            "No credentials for the Hub: pass --username and --password, --client-id and --client-secret, or "
            f"--token; or set {ENVIRONMENT['username']} and {ENVIRONMENT['password']}; or add them to a profile "
            f"of {config_path()}."
        )

    def describe_identity(self) -> str:
        """Return who logs in, for banners and messages: ``user 'admin'``; never a secret."""
        kind = self.kind
        if kind == "user":
            return f"user {self.username!r}" + (f" in realm {self.realm!r}" if self.realm else "")
        if kind == "client":
            return f"client {self.client_id!r}"
        if kind == "token":
            return "an access token"
        return "nobody"


def config_path() -> Path:
    """Return the path of the config file: ``FLAME_HUB_CONFIG``, else ``flame-hub/config.toml`` in the XDG dir."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "flame-hub" / "config.toml"


def load_profile(name: str | None, path: Path | None = None) -> tuple[str | None, dict[str, Any]]:
    """Return ``(profile name, settings)`` from the config file; an empty profile when there is no file.

    Without ``name`` the profile is ``default_profile`` of the file, else the one called
    ``default``, else none. Naming a profile the file does not have raises ``ConfigurationError``.
    """
    path = config_path() if path is None else path
    if not path.is_file():
        if name is not None:
            raise ConfigurationError(f"Profile {name!r} not found: the config file {path} does not exist.")
        return None, {}

    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"The config file {path} is not valid TOML: {exc}. Fix or remove it.") from None
    _warn_if_readable_by_others(path)

    profiles = document.get("profiles", {})
    if not isinstance(profiles, Mapping):
        raise ConfigurationError(f"'profiles' in {path} must be a table of profiles, like [profiles.local].")

    if name is None:
        default = document.get("default_profile")
        if isinstance(default, str):
            name = default
        elif "default" in profiles:
            name = "default"
        else:
            return None, {}
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigurationError(f"Profile {name!r} not found in {path}; its profiles: {known}.")

    profile = profiles[name]
    if not isinstance(profile, Mapping):
        raise ConfigurationError(f"Profile {name!r} in {path} must be a table, like [profiles.{name}].")
    unknown = sorted(set(profile) - PROFILE_KEYS)
    if unknown:
        raise ConfigurationError(
            f"Profile {name!r} in {path} has unknown keys: {', '.join(unknown)}; "
            f"known keys: {', '.join(sorted(PROFILE_KEYS))}."
        )
    return name, dict(profile)


def _warn_if_readable_by_others(path: Path) -> None:
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning(
            "The config file %s can be read by other users (mode %o) and may hold secrets; run: chmod 600 %s",
            path,
            mode,
            path,
        )


def resolve_settings(
    options: Mapping[str, Any], profile: str | None = None, environ: Mapping[str, str] | None = None
) -> ConnectionSettings:
    """Merge command-line ``options``, the environment and a config-file profile, in that precedence."""
    environ = os.environ if environ is None else environ
    profile = profile or environ.get(PROFILE_ENV) or None
    profile_name, profile_values = load_profile(profile)

    layers: list[tuple[str, Mapping[str, Any]]] = [
        ("command line", {key: value for key, value in options.items() if value not in (None, "")}),
        ("environment", {key: environ[variable] for key, variable in ENVIRONMENT.items() if environ.get(variable)}),
        (f"profile {profile_name!r}", profile_values),
    ]
    settings = ConnectionSettings(profile=profile_name)

    kind = None
    for _, values in layers:
        kind = next((each for each, name in IDENTITY_SETTINGS.items() if values.get(name)), None)
        if kind is not None:
            break

    allowed = {"url", "timeout", "verify"}
    if kind is not None:
        allowed.update(CREDENTIAL_KINDS[kind])
    for name in allowed:
        for source, values in layers:
            if values.get(name) not in (None, ""):
                setattr(settings, name, values[name])
                settings.sources[name] = source
                break

    if settings.timeout is not None:
        try:
            settings.timeout = float(settings.timeout)
        except (TypeError, ValueError):
            raise ConfigurationError(
                f"timeout={settings.timeout!r} from the {settings.sources['timeout']} is invalid: give seconds."
            ) from None
    return settings
