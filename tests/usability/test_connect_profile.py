"""connect() reads the config-file profile that the command line and the shell read."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import flame_hub
from flame_hub._session import set_default_session
from flame_hub.models import Node


def _write_config(config_home, text: str) -> None:
    folder = config_home / "flame-hub"
    folder.mkdir()
    path = folder / "config.toml"
    path.write_text(textwrap.dedent(text))
    path.chmod(0o600)


@pytest.fixture
def restore_default_session():
    yield
    set_default_session(None)


def test_connect_reads_default_profile(fake_hub, clean_environment, restore_default_session):
    _write_config(
        clean_environment,
        f"""
        default_profile = "local"

        [profiles.local]
        url = "{fake_hub.url}"
        username = "admin"
        password = "start123"
    """,
    )

    with flame_hub.connect() as session:
        assert session.url == fake_hub.url
        assert Node.objects.count() >= 0
        assert session.auth.kind == "user"


def test_connect_profile_argument(fake_hub, clean_environment, restore_default_session):
    _write_config(
        clean_environment,
        f"""
        [profiles.other]
        url = "{fake_hub.url}"
        username = "admin"
        password = "start123"
        timeout = 7
    """,
    )

    with flame_hub.connect(profile="other") as session:
        assert session.url == fake_hub.url
        assert session.timeout.read == 7


def test_connect_profile_variable(fake_hub, clean_environment, monkeypatch, restore_default_session):
    _write_config(
        clean_environment,
        f"""
        [profiles.lab]
        url = "{fake_hub.url}"
        token = "not-a-real-token"
    """,
    )
    monkeypatch.setenv("FLAME_HUB_PROFILE", "lab")

    with flame_hub.connect() as session:
        assert session.auth.kind == "token"


def test_environment_wins_over_profile(fake_hub, clean_environment, monkeypatch, restore_default_session):
    _write_config(
        clean_environment,
        """
        [profiles.default]
        url = "http://127.0.0.1:9"
        username = "nobody"
        password = "wrong-password"
    """,
    )
    monkeypatch.setenv("FLAME_HUB_URL", fake_hub.url)
    monkeypatch.setenv("FLAME_HUB_USERNAME", "admin")
    monkeypatch.setenv("FLAME_HUB_PASSWORD", "start123")

    with flame_hub.connect() as session:
        assert session.url == fake_hub.url
        assert session.auth.username == "admin"


def test_unknown_profile_named(clean_environment):
    _write_config(
        clean_environment,
        """
        [profiles.local]
        url = "http://127.0.0.1:3000"
    """,
    )

    with pytest.raises(flame_hub.ConfigurationError) as info:
        flame_hub.connect(profile="production")

    assert "'production'" in str(info.value)
    assert "local" in str(info.value)


def test_no_url_message_names_profile(clean_environment):
    with pytest.raises(flame_hub.ConfigurationError) as info:
        flame_hub.connect()

    assert "profile" in str(info.value)


def test_connect_closes_session_at_exit(fake_hub, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(f"""
        import flame_hub
        from flame_hub.auth import PasswordAuth
        from flame_hub.models import Node

        flame_hub.connect("{fake_hub.url}", auth=PasswordAuth("admin", "start123"))
        print(Node.objects.count())
    """)
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("FLAME_HUB_")}

    result = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error::ResourceWarning", str(script)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert "ResourceWarning" not in result.stderr


def test_no_credentials_message_names_profile(clean_environment):
    with pytest.raises(flame_hub.ConfigurationError) as info:
        flame_hub.connect("http://127.0.0.1:9")

    assert "profile of the config file" in str(info.value)
