"""pytest fixtures for testing code against the fake Hub (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def _fake_hub_server() -> Iterator[object]:
    from flame_hub.testing import FakeHub

    with FakeHub() as hub:
        yield hub


@pytest.fixture
def fake_hub(_fake_hub_server: object) -> Iterator[object]:
    """A running fake Hub shared by the test session, reset to its seeded state for each test."""
    _fake_hub_server.reset()  # type: ignore[attr-defined]
    yield _fake_hub_server
