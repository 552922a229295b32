"""Fixtures of the interactive-use tests: a Session on the fake Hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _interactive_helpers import cli_environment

from flame_hub import Session
from flame_hub.auth import PasswordAuth


@pytest.fixture
def session(fake_hub: Any) -> Iterator[Session]:
    """A Session logged in as the fake Hub's admin user, made the default Session of the test."""
    with Session(fake_hub.url, auth=PasswordAuth(fake_hub.admin_username, fake_hub.admin_password)) as hub_session:
        with hub_session.activate():
            yield hub_session


@pytest.fixture
def cli_env(fake_hub: Any, tmp_path: Path) -> dict[str, str]:
    """The environment of a ``flame-hub`` subprocess: the fake Hub's URL and admin, and an absent config file."""
    return cli_environment(fake_hub, tmp_path / "config.toml")
