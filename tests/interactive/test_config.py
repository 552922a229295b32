"""Connection settings of the command line: precedence of options, environment and config-file profiles."""

from __future__ import annotations

import logging

import pytest

from flame_hub._config import config_path, load_profile, resolve_settings
from flame_hub.auth import ClientAuth, PasswordAuth, StaticAuth
from flame_hub.errors import ConfigurationError

PROFILES = """
default_profile = "local"

[profiles.local]
url = "http://127.0.0.1:3000"
username = "admin"
password = "profile-pass"

[profiles.production]
url = "https://hub.example.org"
client_id = "node-client"
client_secret = "profile-secret"
timeout = 12
"""


@pytest.fixture
def config(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text(PROFILES)
    path.chmod(0o600)
    monkeypatch.setenv("FLAME_HUB_CONFIG", str(path))
    return path


def resolve(options=None, profile=None, **environ):
    return resolve_settings(options or {}, profile, environ)


def test_default_profile_used(config):
    settings = resolve()

    assert settings.profile == "local"
    assert settings.url == "http://127.0.0.1:3000"
    assert isinstance(settings.build_auth(), PasswordAuth)
    assert settings.sources["password"] == "profile 'local'"


def test_named_profile_from_environment(config):
    settings = resolve(FLAME_HUB_PROFILE="production")

    assert settings.url == "https://hub.example.org"
    assert settings.timeout == 12.0
    assert isinstance(settings.build_auth(), ClientAuth)


def test_options_beat_environment_beat_profile(config):
    settings = resolve(
        {"url": "http://option.example"},
        FLAME_HUB_URL="http://environment.example",
        FLAME_HUB_PASSWORD="environment-pass",
    )

    assert settings.url == "http://option.example"
    assert settings.password == "environment-pass"
    assert settings.username == "admin"
    assert settings.sources["username"] == "profile 'local'"


def test_higher_identity_drops_other_kind(config):
    settings = resolve({"token": "option-token"}, profile="production")

    assert settings.kind == "token"
    assert settings.client_id is None
    assert settings.client_secret is None
    assert isinstance(settings.build_auth(), StaticAuth)


def test_user_without_password_rejected(config):
    settings = resolve({"username": "someone"}, profile="production")

    with pytest.raises(ConfigurationError, match="The user 'someone' has no password"):
        settings.build_auth()


def test_no_credentials_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAME_HUB_CONFIG", str(tmp_path / "absent.toml"))

    settings = resolve(FLAME_HUB_URL="http://hub.example")

    with pytest.raises(ConfigurationError, match="No credentials for the Hub"):
        settings.build_auth()


def test_unknown_profile_lists_known(config):
    with pytest.raises(ConfigurationError, match="Profile 'staging' not found .*; its profiles: local, production."):
        resolve(profile="staging")


def test_profile_without_file_rejected(tmp_path, monkeypatch):
    monkeypatch.setenv("FLAME_HUB_CONFIG", str(tmp_path / "absent.toml"))

    with pytest.raises(ConfigurationError, match="the config file .*absent.toml does not exist"):
        resolve(profile="local")


def test_invalid_toml_rejected(config):
    config.write_text("[profiles.local\nurl = 1\n")

    with pytest.raises(ConfigurationError, match="is not valid TOML"):
        load_profile(None)


def test_unknown_key_rejected(config):
    config.write_text('[profiles.default]\nurl = "http://hub.example"\npasword = "typo"\n')

    with pytest.raises(ConfigurationError, match="unknown keys: pasword"):
        load_profile(None)


def test_profile_named_default_used(config):
    config.write_text('[profiles.default]\nurl = "http://hub.example"\n')

    assert load_profile(None) == ("default", {"url": "http://hub.example"})


def test_readable_config_warns(config, caplog):
    config.chmod(0o644)

    with caplog.at_level(logging.WARNING, logger="flame_hub"):
        load_profile(None)

    [record] = caplog.records
    assert "can be read by other users (mode 644)" in record.getMessage()
    assert "profile-pass" not in caplog.text


def test_config_path_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv("FLAME_HUB_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))

    assert config_path() == tmp_path / "flame-hub" / "config.toml"


def test_identity_description_has_no_secret(config):
    settings = resolve(profile="production")

    assert settings.describe_identity() == "client 'node-client'"
    assert "profile-secret" not in repr(settings.build_auth())
