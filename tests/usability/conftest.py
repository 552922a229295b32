"""Fixtures for the usability tests: a clean environment and a private config directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def clean_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Remove every FLAME_HUB_* variable and point the config file at an empty private directory."""
    for key in list(os.environ):
        if key.startswith("FLAME_HUB_"):
            monkeypatch.delenv(key)
    config_home = tmp_path / "config"
    config_home.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    yield config_home
